"""The offline demo source: a deterministic synthetic Tsumagoi written in the real file formats.

:func:`build_demo_store` writes what the archives would deliver for the configured areas and dates
(Sentinel-1 IW GRDH zips, Sentinel-2 exports, PlanetScope scenes, MAFF fude polygons, a DEM) from
the physical model in :mod:`sar2ndvi.demo.world`.
"""

from sar2ndvi.demo.store import build_demo_store
from sar2ndvi.demo.world import DemoSpec, World

__all__ = ["DemoSpec", "World", "build_demo_store"]
