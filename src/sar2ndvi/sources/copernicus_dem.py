"""Copernicus DEM GLO-30 tiles over the study area, from the public AWS Open Data bucket.

GLO-30 comes as 1° × 1° Cloud-Optimised GeoTIFFs (1 arc-second, about 30 m; float32 heights
in metres above the EGM2008 geoid; EPSG:4326 + EGM2008 height) named by their south-west
corner, e.g. ``Copernicus_DSM_COG_10_N36_00_E138_00_DEM``. No credentials are needed. Tiles that
are all sea do not exist: the bucket answers 403 or 404 and the tile is skipped. The tiles are
mosaicked and cropped to the study box; the conversion to ellipsoidal heights happens in the
``dem`` step, which the ``local`` DEM shares.

© DLR e.V. 2010-2014 and © Airbus Defence and Space GmbH 2014-2018 provided under COPERNICUS by
the European Union and ESA; all rights reserved.
"""

from __future__ import annotations

import logging
import math
from pathlib import Path

import rasterio
import requests
from rasterio.errors import RasterioIOError
from rasterio.merge import merge

from sar2ndvi.io import write_geotiff
from sar2ndvi.sources.transfer import HttpSession, TransferError, VerificationError, download_resumable

log = logging.getLogger(__name__)

GLO30_BUCKET = "https://copernicus-dem-30m.s3.amazonaws.com"
ATTRIBUTION = (
    "Copernicus DEM GLO-30: © DLR e.V. 2010-2014 and © Airbus Defence and Space GmbH 2014-2018 "
    "provided under COPERNICUS by the European Union and ESA"
)


def tile_name(lat_south: int, lon_west: int) -> str:
    """GLO-30 tile name of the 1° cell whose south-west corner is (``lat_south``, ``lon_west``), degrees."""
    ns = "N" if lat_south >= 0 else "S"
    ew = "E" if lon_west >= 0 else "W"
    return f"Copernicus_DSM_COG_10_{ns}{abs(lat_south):02d}_00_{ew}{abs(lon_west):03d}_00_DEM"


def tiles_for_box(box: tuple[float, float, float, float]) -> list[str]:
    """Names of the tiles covering ``box`` (west, south, east, north; degrees), south-west first."""
    west, south, east, north = box
    lats = range(math.floor(south), max(math.ceil(north), math.floor(south) + 1))
    lons = range(math.floor(west), max(math.ceil(east), math.floor(west) + 1))
    return [tile_name(lat, lon) for lat in lats for lon in lons]


def tile_url(name: str) -> str:
    return f"{GLO30_BUCKET}/{name}/{name}.tif"


def _check_geotiff(path: Path) -> None:
    try:
        with rasterio.open(path) as src:
            if src.crs is None or not src.crs.is_geographic or src.count < 1:
                raise VerificationError(f"{path}: not a GLO-30 tile (CRS {src.crs}, {src.count} bands)")
            src.read(1, out_shape=(1, 8, 8))  # decodes a few blocks: a truncated file fails here
    except RasterioIOError as err:
        raise VerificationError(f"{path}: not a readable GeoTIFF ({err})") from err


def fetch_tiles(
    box: tuple[float, float, float, float],
    folder: str | Path,
    session: HttpSession | None = None,
    attempts: int = 5,
    backoff_s: float = 10.0,
) -> list[Path]:
    """Download the GLO-30 tiles over ``box`` (degrees) into ``folder``; return those that exist.

    Tiles already in ``folder`` are kept. Every download is resumed and retried, and a file
    that is not a readable lon/lat GeoTIFF is deleted and fetched again.

    Raises:
        TransferError: if no tile covers the box, or a download keeps failing.
    """
    session = session or requests.Session()
    folder = Path(folder)
    found = []
    for name in tiles_for_box(box):
        dest = folder / f"{name}.tif"
        if not dest.exists():
            probe = session.head(tile_url(name), timeout=60, allow_redirects=True)
            if probe.status_code in (403, 404):
                log.info("%s: no such tile (sea), skipped", name)
                continue
            expected = int(probe.headers["Content-Length"]) if "Content-Length" in probe.headers else None
            download_resumable(
                session, tile_url(name), dest, expected, None, attempts, backoff_s, validate=_check_geotiff
            )
        found.append(dest)
    if not found:
        raise TransferError(
            f"no Copernicus GLO-30 tile covers {box}: the area is all sea, or the box is wrong (check areas.pretrain)"
        )
    return found


def mosaic_tiles(tiles: list[Path], box: tuple[float, float, float, float], dest: str | Path, margin_deg: float = 0.01):
    """Mosaic ``tiles`` over ``box`` grown by ``margin_deg`` into one GeoTIFF (EGM2008 heights, metres), atomically."""
    west, south, east, north = box
    with rasterio.open(tiles[0]) as first:
        crs, grid = first.crs, first.transform
    # bounds on the tiles' own pixel edges, so that merging copies heights without resampling
    x_res, y_res = grid.a, -grid.e
    bounds = (
        grid.c + math.floor((west - margin_deg - grid.c) / x_res) * x_res,
        grid.f - math.ceil((grid.f - south + margin_deg) / y_res) * y_res,
        grid.c + math.ceil((east + margin_deg - grid.c) / x_res) * x_res,
        grid.f - math.floor((grid.f - north - margin_deg) / y_res) * y_res,
    )
    heights, transform = merge([str(t) for t in tiles], bounds=bounds, nodata=-32767.0)
    write_geotiff(
        dest,
        heights,
        transform,
        crs,
        heights.dtype.name,
        -32767.0,
        ["height above the EGM2008 geoid (m)"],
        {"source": "Copernicus DEM GLO-30", "tiles": ",".join(t.stem for t in tiles), "credit": ATTRIBUTION},
    )


__all__ = ["ATTRIBUTION", "GLO30_BUCKET", "fetch_tiles", "mosaic_tiles", "tile_name", "tile_url", "tiles_for_box"]
