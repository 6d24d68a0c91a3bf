"""Where inputs come from: each source lists what exists (``search``) and brings one item (``fetch``).

Sources are chosen per input in the configuration (``sources:``). ``demo`` reads the synthetic
world written by :mod:`sar2ndvi.demo` as if it were a remote archive; ``local`` reads folders of
files the user already has.
"""
