"""Answer every ``requests`` session of this process from a recorded ASF archive, when one is named.

Python imports this module at start-up when its folder is on PYTHONPATH, so the workflow's own
processes (Snakemake and each script job) talk to the archive of ``SAR2NDVI_RECORDED_ASF`` through
the unchanged asf-search client. Without that variable nothing is imported or changed.
"""

import os

if os.environ.get("SAR2NDVI_RECORDED_ASF"):
    import sys

    # Appended, not prepended: the test helpers must not shadow any module of the workflow.
    sys.path.append(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

    import requests
    from recorded_asf import recorded_asf_transport

    _original_init = requests.Session.__init__

    def _recorded_init(self, *args, **kwargs):
        _original_init(self, *args, **kwargs)
        transport = recorded_asf_transport(os.environ["SAR2NDVI_RECORDED_ASF"])
        self.mount("https://", transport)
        self.mount("http://", transport)

    requests.Session.__init__ = _recorded_init
