"""Optical images from Google Earth Engine, computed on the study grid: Sentinel-2 L1C and Landsat 8/9.

Each optical sensor that Earth Engine serves is an :class:`EarthEngineProduct` in
:data:`PRODUCTS`, keyed by the sensor's name in the config. The search lists the product's
images over the study box and period, optionally dropping whole scenes by the provider's
scene-level cloud percentage. Each image is then computed by Earth Engine directly on the study
grid (``ee.data.computePixels`` with the grid's CRS, affine transform and size, in tiles), so no
resampling happens on our side, and written as one uint16 GeoTIFF per image (0 = no data) with
its bands described by name: the format the ``local`` source reads too. Cloud masking and NDVI
happen in the NDVI step (:mod:`sar2ndvi.ndvi`).

- ``sentinel2``: ``COPERNICUS/S2_HARMONIZED`` (Level-1C, as in the paper) joined with its
  s2cloudless image ``COPERNICUS/S2_CLOUD_PROBABILITY``; bands ``B4``, ``B8`` (TOA reflectance
  × 10,000) and ``probability`` (0–100 %); scene filter ``CLOUDY_PIXEL_PERCENTAGE``.
- ``landsat``: Collection 2 Level-2 ``LANDSAT/LC08/C02/T1_L2`` and ``LANDSAT/LC09/C02/T1_L2``;
  bands ``SR_B4`` (red), ``SR_B5`` (NIR) as USGS's scaled integers and ``QA_PIXEL``; scene filter
  ``CLOUD_COVER``.
"""

from __future__ import annotations

import json
import logging
import os
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

import ee
import numpy as np
import pandas as pd
from rasterio.io import MemoryFile

from sar2ndvi.grid import AreaGrid
from sar2ndvi.io import write_raster
from sar2ndvi.sources.credentials import MissingCredentialsError
from sar2ndvi.sources.errors import EmptySearchError
from sar2ndvi.sources.optical_folders import OPTICAL_COLUMNS

log = logging.getLogger(__name__)

S2_COLLECTION = "COPERNICUS/S2_HARMONIZED"
CLOUD_COLLECTION = "COPERNICUS/S2_CLOUD_PROBABILITY"
LANDSAT_COLLECTIONS = ("LANDSAT/LC08/C02/T1_L2", "LANDSAT/LC09/C02/T1_L2")
#: computePixels answers at most 48 MB and 32,768 pixels a side; 1,024² × 3 uint16 is 6 MB.
MAX_TILE = 1024
#: Earth Engine errors that a later attempt can get past: quotas, rate limits, busy servers.
RETRYABLE = re.compile(
    r"quota|too many|rate limit|429|503|unavailable|deadline|timed? ?out|internal error|backend error", re.IGNORECASE
)

T = TypeVar("T")


def initialize(
    project: str | None = None,
    service_account_key: str | Path | None = None,
    http_transport: object | None = None,
) -> str:
    """Initialise the Earth Engine client; return the Cloud project used.

    Credentials, in order: the service-account key file ``service_account_key``, else the file
    named by ``EE_SERVICE_ACCOUNT_KEY`` or ``GOOGLE_APPLICATION_CREDENTIALS``, else the
    credentials stored by ``earthengine authenticate`` (or Application Default Credentials).
    Only paths are ever configured; the key itself stays in the user's file. The project is
    ``project``, else ``EE_PROJECT``, else the key's ``project_id``.

    Raises:
        MissingCredentialsError: if no credentials or no project can be found, saying what to set.
    """
    key_path = (
        service_account_key
        or os.environ.get("EE_SERVICE_ACCOUNT_KEY")
        or os.environ.get("GOOGLE_APPLICATION_CREDENTIALS")
    )
    project = project or os.environ.get("EE_PROJECT") or None
    if key_path:
        path = Path(key_path).expanduser()
        if not path.is_file():
            raise MissingCredentialsError(
                f"{path}: the Earth Engine service-account key file does not exist; set EE_SERVICE_ACCOUNT_KEY "
                "to the path of the JSON key downloaded from the Google Cloud console"
            )
        try:
            key = json.loads(path.read_text())
            email = key["client_email"]
        except (json.JSONDecodeError, KeyError, TypeError):
            raise MissingCredentialsError(
                f"{path}: not a service-account JSON key (no client_email); download a key of type JSON"
            ) from None
        credentials = ee.ServiceAccountCredentials(email, key_file=str(path))
        project = project or key.get("project_id")
    else:
        try:
            credentials = ee.data.get_persistent_credentials()
        except ee.EEException:
            raise MissingCredentialsError(
                "no Earth Engine credentials: run `earthengine authenticate` once, or set EE_SERVICE_ACCOUNT_KEY "
                "to the path of a service-account JSON key"
            ) from None
    if not project:
        raise MissingCredentialsError(
            "no Earth Engine Cloud project: set EE_PROJECT, or earthengine.project in the config, to a project "
            "registered for Earth Engine"
        )
    ee.Initialize(credentials=credentials, project=project, http_transport=http_transport)
    return project


def with_retries(call: Callable[[], T], what: str, attempts: int = 5, backoff_s: float = 30.0) -> T:
    """Run an Earth Engine request, retrying quota, rate-limit and server errors with backoff.

    Raises:
        ee.EEException: at once for other errors (a bad request will not get better), or after
            ``attempts`` retryable failures, naming ``what`` was asked for.
    """
    for attempt in range(1, attempts + 1):
        try:
            return call()
        except ee.EEException as err:
            if not RETRYABLE.search(str(err)) or attempt == attempts:
                raise ee.EEException(f"Earth Engine could not compute {what}: {err}") from err
            log.warning("Earth Engine, %s: %s; retrying (%d/%d)", what, err, attempt, attempts)
            time.sleep(backoff_s * 2 ** (attempt - 1))
    raise AssertionError("unreachable")


def day_after(day: str) -> str:
    return (pd.Timestamp(day) + pd.Timedelta(days=1)).strftime("%Y-%m-%d")


@dataclass(frozen=True)
class EarthEngineProduct:
    """An optical product that Earth Engine computes on the study grid, one GeoTIFF per image.

    Attributes:
        sensor: the sensor's name in the config (``sources.<sensor>``, ``<sensor>.max_scene_cloud_percent``).
        collections: the image collections searched; a scene id is an image's ``system:index``.
        bands: the bands written, in order, described by these names.
        collection: (collection id, region, first day, day after the last, max scene cloud %) →
            the images to list.
        image: scene id → the image to compute, ``bands`` in order, uint16, masked pixels 0.
        sources: scene id → the assets an image is computed from (for the file's metadata).
        cloud_property: the scene-level cloud percentage filtered by ``max_scene_cloud_percent``.
    """

    sensor: str
    collections: tuple[str, ...]
    bands: tuple[str, ...]
    collection: Callable[[str, ee.Geometry, str, str, float], ee.ImageCollection]
    image: Callable[[str], ee.Image]
    sources: Callable[[str], str]
    cloud_property: str


def _sentinel2_collection(
    collection: str, region: ee.Geometry, start: str, stop: str, max_scene_cloud_percent: float
) -> ee.ImageCollection:
    # s2cloudless images are joined on system:index as the property s2cloudless; images without one are dropped
    images = (
        ee.ImageCollection(collection)
        .filterBounds(region)
        .filterDate(start, stop)
        .filter(ee.Filter.lte("CLOUDY_PIXEL_PERCENTAGE", max_scene_cloud_percent))
    )
    clouds = ee.ImageCollection(CLOUD_COLLECTION).filterBounds(region).filterDate(start, stop)
    joined = ee.Join.saveFirst("s2cloudless").apply(
        primary=images,
        secondary=clouds,
        condition=ee.Filter.equals(leftField="system:index", rightField="system:index"),
    )
    return ee.ImageCollection(joined)


def _sentinel2_image(scene_id: str) -> ee.Image:
    bands = ee.Image(f"{S2_COLLECTION}/{scene_id}").select(["B4", "B8"])
    probability = ee.Image(f"{CLOUD_COLLECTION}/{scene_id}").select(["probability"])
    return bands.addBands(probability).unmask(0).toUint16()


def _landsat_collection(
    collection: str, region: ee.Geometry, start: str, stop: str, max_scene_cloud_percent: float
) -> ee.ImageCollection:
    return (
        ee.ImageCollection(collection)
        .filterBounds(region)
        .filterDate(start, stop)
        .filter(ee.Filter.lte("CLOUD_COVER", max_scene_cloud_percent))
    )


def _landsat_asset(scene_id: str) -> str:
    """The asset of a Collection 2 Level-2 scene id such as ``LC08_108035_20170605``."""
    platform = scene_id.split("_", 1)[0]
    matches = [c for c in LANDSAT_COLLECTIONS if f"/{platform}/" in c]
    if not matches:
        raise ValueError(f"{scene_id}: not a Landsat 8 or 9 scene id (expected e.g. LC08_108035_20170605)")
    return f"{matches[0]}/{scene_id}"


def _landsat_image(scene_id: str) -> ee.Image:
    return ee.Image(_landsat_asset(scene_id)).select(["SR_B4", "SR_B5", "QA_PIXEL"]).unmask(0).toUint16()


PRODUCTS: dict[str, EarthEngineProduct] = {
    "sentinel2": EarthEngineProduct(
        sensor="sentinel2",
        collections=(S2_COLLECTION,),
        bands=("B4", "B8", "probability"),
        collection=_sentinel2_collection,
        image=_sentinel2_image,
        sources=lambda scene_id: f"{S2_COLLECTION}/{scene_id} + {CLOUD_COLLECTION}/{scene_id}",
        cloud_property="CLOUDY_PIXEL_PERCENTAGE",
    ),
    "landsat": EarthEngineProduct(
        sensor="landsat",
        collections=LANDSAT_COLLECTIONS,
        bands=("SR_B4", "SR_B5", "QA_PIXEL"),
        collection=_landsat_collection,
        image=_landsat_image,
        sources=_landsat_asset,
        cloud_property="CLOUD_COVER",
    ),
}


def search(
    product: EarthEngineProduct,
    study_box: tuple[float, float, float, float],
    start: str,
    end: str,
    export_folder: str | Path,
    max_scene_cloud_percent: float = 100.0,
    attempts: int = 5,
    backoff_s: float = 30.0,
) -> pd.DataFrame:
    """The product's images over the box (lon/lat degrees) on days ``start``..``end``, as the optical scene table.

    Every collection is listed in one request; ``path`` is ``<export_folder>/<system:index>.tif``.

    Raises:
        EmptySearchError: if Earth Engine lists no image, naming what to relax.
    """
    region = ee.Geometry.Rectangle(list(study_box), "EPSG:4326", False)
    listings = []
    for name in product.collections:
        images = product.collection(name, region, start, day_after(end), max_scene_cloud_percent)
        listings.append(
            ee.Dictionary(
                {"id": images.aggregate_array("system:index"), "time": images.aggregate_array("system:time_start")}
            )
        )
    what = " and ".join(product.collections)
    found = with_retries(ee.List(listings).getInfo, f"the {what} listing", attempts, backoff_s)
    rows = []
    for listing in found:
        for scene_id, millis in zip(listing["id"], listing["time"], strict=True):
            acquired = datetime.fromtimestamp(millis / 1000, tz=UTC).replace(tzinfo=None)
            rows.append(
                {
                    "date": acquired.strftime("%Y%m%d"),
                    "acquired": acquired.isoformat(timespec="seconds"),
                    "id": scene_id,
                    "path": f"{export_folder}/{scene_id}.tif",
                    "mask_path": "",
                }
            )
    if not rows:
        raise EmptySearchError(
            f"Earth Engine lists no {what} image over {tuple(study_box)} between {start} and {end} with at most "
            f"{max_scene_cloud_percent} % {product.cloud_property}; check areas.pretrain, study.start/end and "
            f"{product.sensor}.max_scene_cloud_percent"
        )
    table = pd.DataFrame(rows, columns=OPTICAL_COLUMNS)
    return table.sort_values(["acquired", "id"], kind="stable").reset_index(drop=True)


def grid_tiles(grid: AreaGrid, tile: int = MAX_TILE) -> Iterator[tuple[int, int, int, int]]:
    """(row, col, height, width) blocks covering the grid, at most ``tile`` pixels a side."""
    for row in range(0, grid.height, tile):
        for col in range(0, grid.width, tile):
            yield row, col, min(tile, grid.height - row), min(tile, grid.width - col)


def pixel_grid(grid: AreaGrid, row: int, col: int, height: int, width: int) -> dict:
    """The Earth Engine ``PixelGrid`` of a block of ``grid`` (corner-based affine, like GDAL's)."""
    t = grid.transform
    x0, y0 = t * (col, row)
    return {
        "dimensions": {"width": width, "height": height},
        "affineTransform": {
            "scaleX": t.a,
            "shearX": t.b,
            "translateX": x0,
            "shearY": t.d,
            "scaleY": t.e,
            "translateY": y0,
        },
        "crsCode": grid.crs,
    }


def fetch(
    product: EarthEngineProduct,
    scene_id: str,
    grid: AreaGrid,
    dest: str | Path,
    tile: int = MAX_TILE,
    attempts: int = 5,
    backoff_s: float = 30.0,
) -> None:
    """Compute one image of ``product`` on ``grid`` and write it, atomically, as ``dest`` (``product.bands``).

    Raises:
        ee.EEException: if Earth Engine cannot compute a block after its retries.
        ValueError: if Earth Engine answers a block with another size or band count.
    """
    image = product.image(scene_id)
    count = len(product.bands)
    stack = np.zeros((count, *grid.shape), dtype=np.uint16)
    for row, col, height, width in grid_tiles(grid, tile):
        request = {"expression": image, "fileFormat": "GEO_TIFF", "grid": pixel_grid(grid, row, col, height, width)}
        payload = with_retries(
            lambda request=request: ee.data.computePixels(request),
            f"{scene_id} rows {row}–{row + height}, columns {col}–{col + width}",
            attempts,
            backoff_s,
        )
        with MemoryFile(payload) as memory, memory.open() as block:
            if (block.count, block.height, block.width) != (count, height, width):
                raise ValueError(
                    f"{scene_id}: Earth Engine answered a {block.count}×{block.height}×{block.width} block "
                    f"for a {count}×{height}×{width} request"
                )
            stack[:, row : row + height, col : col + width] = block.read()
    metadata = {"source": product.sources(scene_id), "scene": scene_id}
    write_raster(dest, stack, grid, list(product.bands), metadata, nodata=0)
    log.info("%s: %d × %d pixels on %s", scene_id, grid.width, grid.height, grid.name)


__all__ = [
    "CLOUD_COLLECTION",
    "LANDSAT_COLLECTIONS",
    "PRODUCTS",
    "S2_COLLECTION",
    "EarthEngineProduct",
    "fetch",
    "initialize",
    "pixel_grid",
    "search",
    "with_retries",
]
