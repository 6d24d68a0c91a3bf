"""The workflow's steps as functions: paths and settings in, files out.

One module per family of steps (:mod:`.grids`, :mod:`.sentinel1`, :mod:`.optical`, :mod:`.farms`,
:mod:`.dataset`, :mod:`.model`, :mod:`.evaluate`, :mod:`.report`, :mod:`.demo`). The scripts of
``workflow/scripts`` unpack their job (:mod:`.job`) and call one of these; the ``sar2ndvi`` command
calls the same functions, so a step gives the same files however it is run.
"""
