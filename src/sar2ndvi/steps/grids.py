"""Grid and terrain steps: the snapped grid of an area, DEM heights on the study grid, the GLO-30 mosaic."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from sar2ndvi.grid import AreaGrid, grid_from_lonlat_box
from sar2ndvi.io import write_raster, write_text_if_changed

log = logging.getLogger(__name__)


def area_grid(
    name: str, box: Mapping[str, float], study_box: Mapping[str, float], crs: str, resolution: float, out: str | Path
) -> None:
    """The snapped grid (JSON) of area ``name``, a lon/lat ``box`` (degrees) inside the pre-training area.

    Raises:
        ValueError: for an area outside the pre-training area.
    """
    inside = (
        study_box["west"] <= box["west"]
        and box["east"] <= study_box["east"]
        and study_box["south"] <= box["south"]
        and box["north"] <= study_box["north"]
    )
    if not inside:
        raise ValueError(
            f"config: area {name!r} {dict(box)} is not inside the pre-training area {dict(study_box)}; grow "
            "areas.pretrain to contain it"
        )
    grid = grid_from_lonlat_box(name, crs=crs, resolution=resolution, **box)
    write_text_if_changed(out, grid.to_json() + "\n")
    log.info("area %s: %d x %d pixels of %g m in %s", name, grid.width, grid.height, grid.resolution, grid.crs)


def dem_heights(source: str | Path | None, grid: str | Path, geoid_undulation_m: float, out: str | Path) -> None:
    """Heights above the WGS 84 ellipsoid (m) on the grid of ``grid`` (JSON), from a DEM of orthometric heights.

    Geocoding needs ellipsoidal heights; the geoid undulation (m) is nearly constant over a few
    kilometres, so one value is added.

    Raises:
        FileNotFoundError: for a missing DEM.
        ValueError: for a DEM that does not cover the grid.
    """
    from rasterio.warp import Resampling

    from sar2ndvi.io import warp_bands

    if not source or not Path(source).exists():
        raise FileNotFoundError(f"DEM {source!r} not found; set local.dem to a GeoTIFF of orthometric heights")
    area = AreaGrid.read(grid)
    orthometric = warp_bands(source, [1], area, Resampling.bilinear)[0]
    missing = ~np.isfinite(orthometric)
    if missing.any():
        raise ValueError(
            f"{source}: the DEM does not cover the study area {area.bounds} ({area.crs}) completely "
            f"({100 * missing.mean():.0f} % of its cells have no height); give a DEM that covers areas.pretrain, "
            "or set sources.dem: copernicus"
        )
    heights = orthometric + geoid_undulation_m
    write_raster(
        out,
        heights,
        area,
        ["height above WGS 84 ellipsoid (m)"],
        {"source": Path(source).name, "geoid_undulation_m": geoid_undulation_m},
    )
    log.info("DEM heights %.0f–%.0f m (ellipsoidal) on %s", heights.min(), heights.max(), area.name)


def copernicus_dem(
    study_box: Sequence[float], tile_folder: str | Path, out: str | Path, retries: Mapping[str, Any]
) -> None:
    """Copernicus GLO-30 heights (EGM2008 geoid) over ``study_box``, fetched from AWS Open Data and mosaicked."""
    from sar2ndvi.sources.copernicus_dem import fetch_tiles, mosaic_tiles

    box = tuple(study_box)
    tiles = fetch_tiles(box, Path(tile_folder), attempts=retries["attempts"], backoff_s=retries["backoff_s"])
    mosaic_tiles(tiles, box, out)
    log.info("GLO-30 mosaic of %d tiles over %s", len(tiles), box)
