"""Farm steps: the parcels of the chosen MAFF land types, and their raster mask on an area grid."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

from sar2ndvi.grid import AreaGrid
from sar2ndvi.io import write_raster

log = logging.getLogger(__name__)


def parcels(
    source: str | Path | None,
    land_types: Sequence[int],
    crs: str,
    out: str | Path,
    undeclared_crs: str | None = None,
) -> None:
    """Farm parcels of ``land_types`` from a MAFF fude source, reprojected to ``crs``, as a GeoPackage.

    ``undeclared_crs`` (``farms.crs``) is the CRS of files that declare none; without it they are refused.

    Raises:
        ValueError: when no parcel has one of the land types, or as :func:`sar2ndvi.farms.read_fude_source`.
    """
    from sar2ndvi.farms import farm_parcels, read_fude_source, write_parcels

    folder = Path(source or "")
    kept = farm_parcels(read_fude_source(folder, crs, undeclared_crs), list(land_types), crs)
    if kept.empty:
        raise ValueError(f"{folder}: no parcel of land_type {list(land_types)}; check farms.land_types")
    write_parcels(kept, out)
    log.info("%d parcels of land_type %s from %s", len(kept), list(land_types), folder.name)


def mask(parcels_path: str | Path, grid: str | Path, out: str | Path) -> None:
    """Parcels rasterised onto the grid of ``grid`` (JSON): parcel id per pixel, 0 off farm."""
    import geopandas as gpd

    from sar2ndvi.farms import rasterize_parcels

    area = AreaGrid.read(grid)
    ids = rasterize_parcels(gpd.read_file(parcels_path, engine="pyogrio"), area)
    write_raster(out, ids, area, ["parcel_id (0 = not farm)"], nodata=None)
    log.info("%s: %.1f %% farm pixels, %d parcels", area.name, 100 * (ids > 0).mean(), len(set(ids.ravel())) - 1)
