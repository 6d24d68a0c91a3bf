"""NDVI from optical imagery on an area grid: Sentinel-2 L1C and Landsat 8/9 L2 (Earth Engine exports), PlanetScope SR.

NDVI = (NIR − red) / (NIR + red), float32 in [−1, 1], NaN where there is no valid observation
(nodata, cloud, or a non-positive denominator). Rasters are resampled onto the area grid with GDAL
(rasterio.warp): nearest neighbour, as in Kimura et al. (2023) for Planet's 3 m → 10 m.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import numpy as np
import rasterio
from rasterio.warp import Resampling

from sar2ndvi.grid import AreaGrid
from sar2ndvi.io import warp_bands

# Earth Engine S2 system:index, e.g. 20170605T012651_20170605T012653_T54SUE
_S2_NAME = re.compile(r"^(?P<date>\d{8})T(?P<time>\d{6})_\d{8}T\d{6}_T\w{5}")
# Landsat Collection 2 system:index, e.g. LC08_108035_20170605
_LANDSAT_NAME = re.compile(r"^(?P<platform>LC0[89])_(?P<path_row>\d{6})_(?P<date>\d{8})")
# PlanetScope scene id, e.g. 20170612_012345_0f22_3B_AnalyticMS_SR
_PLANET_NAME = re.compile(r"^(?P<date>\d{8})_(?P<time>\d{6})(?:_\d+)?_(?P<sat>[0-9a-f]{4})_3B_AnalyticMS_SR")


@dataclass(frozen=True)
class OpticalScene:
    """An optical scene file and its UTC acquisition time."""

    path: Path
    acquired: datetime

    @property
    def date_key(self) -> str:
        """Acquisition date as ``YYYYMMDD`` (UTC)."""
        return self.acquired.strftime("%Y%m%d")


def _scene_of(path: str | Path, pattern: re.Pattern, expected: str) -> OpticalScene:
    """The scene whose file name matches ``pattern`` (groups ``date`` and, if the name has it, ``time``).

    Raises:
        ValueError: naming the file and what was ``expected`` if the name does not match.
    """
    path = Path(path)
    match = pattern.match(path.name)
    if not match:
        raise ValueError(f"{path}: not {expected}")
    stamp = match["date"] + (match.groupdict().get("time") or "000000")
    return OpticalScene(path, datetime.strptime(stamp, "%Y%m%d%H%M%S"))


def parse_sentinel2_name(path: str | Path) -> OpticalScene:
    """Acquisition time from an Earth Engine S2 file name ``YYYYMMDDTHHMMSS_YYYYMMDDTHHMMSS_Txxxxx*.tif``.

    Raises:
        ValueError: naming the file if the name does not follow that pattern.
    """
    return _scene_of(
        path,
        _S2_NAME,
        "an Earth Engine Sentinel-2 file name (expected e.g. 20170605T012651_20170605T012653_T54SUE.tif); "
        "rename it or export it with its system:index",
    )


def parse_planet_name(path: str | Path) -> OpticalScene:
    """Acquisition time from a PlanetScope file name ``YYYYMMDD_HHMMSS_xxxx_3B_AnalyticMS_SR*.tif``.

    Raises:
        ValueError: naming the file if the name does not follow that pattern.
    """
    return _scene_of(
        path,
        _PLANET_NAME,
        "a PlanetScope 4-band surface reflectance file name (expected e.g. 20170612_012345_0f22_3B_AnalyticMS_SR.tif)",
    )


def parse_landsat_name(path: str | Path) -> OpticalScene:
    """Acquisition day from an Earth Engine Landsat 8/9 file name ``LC0[89]_PPPRRR_YYYYMMDD*.tif`` (00:00 UTC).

    The name holds the day only; the search from Earth Engine records the time of day.

    Raises:
        ValueError: naming the file if the name does not follow that pattern.
    """
    return _scene_of(
        path,
        _LANDSAT_NAME,
        "an Earth Engine Landsat 8/9 Collection 2 file name (expected e.g. LC08_108035_20170605.tif); "
        "rename it or export it with its system:index",
    )


def ndvi_from_bands(red: np.ndarray, nir: np.ndarray) -> np.ndarray:
    """NDVI from red and NIR reflectance (any common scale); NaN where either is NaN or red + NIR ≤ 0."""
    red = np.asarray(red, dtype=np.float64)
    nir = np.asarray(nir, dtype=np.float64)
    total = red + nir
    with np.errstate(invalid="ignore", divide="ignore"):
        ndvi = np.where(total > 0, (nir - red) / total, np.nan)
    return np.clip(ndvi, -1.0, 1.0).astype(np.float32)


def described_bands(path: str | Path, wanted: tuple[str, ...], advice: str) -> dict[str, int]:
    """1-based indexes of the bands described as ``wanted`` (exports with extra bands work).

    Raises:
        ValueError: naming the file and the missing band, followed by ``advice``.
    """
    with rasterio.open(path) as src:
        names = [d or "" for d in src.descriptions]
    for key in wanted:
        if key not in names:
            raise ValueError(f"{path}: no band described as {key!r} (bands: {names}); {advice}")
    return {key: names.index(key) + 1 for key in wanted}


def sentinel2_ndvi(path: str | Path, grid: AreaGrid, cloud_probability_max: float) -> np.ndarray:
    """NDVI on ``grid`` from an S2 export with bands B4, B8 (TOA reflectance × 10,000) and s2cloudless probability.

    Pixels whose cloud probability exceeds ``cloud_probability_max`` (percent) are NaN.

    Raises:
        ValueError: naming the file if B4, B8 or probability is missing.
    """
    band = described_bands(path, ("B4", "B8", "probability"), "export B4, B8 and the s2cloudless 'probability' band")
    red, nir = warp_bands(path, [band["B4"], band["B8"]], grid, Resampling.nearest)
    cloud = warp_bands(path, [band["probability"]], grid, Resampling.nearest, use_nodata=False)[0]
    ndvi = ndvi_from_bands(red, nir)
    ndvi[~(cloud <= cloud_probability_max)] = np.nan
    return ndvi


#: Collection 2 Level-2 surface reflectance = DN · scale + offset (USGS, Landsat 8-9 C2 L2 product guide).
LANDSAT_SR_SCALE, LANDSAT_SR_OFFSET = 2.75e-5, -0.2
#: QA_PIXEL bits: 1 dilated cloud, 2 cirrus, 3 cloud, 4 cloud shadow, 5 snow; 6 clear.
LANDSAT_NOT_CLEAR_BITS = 0b111110
LANDSAT_CLEAR_BIT = 1 << 6


def landsat_ndvi(path: str | Path, grid: AreaGrid) -> np.ndarray:
    """NDVI on ``grid`` from a Landsat 8/9 Collection 2 Level-2 export with bands SR_B4, SR_B5 and QA_PIXEL.

    Reflectance is DN · 2.75 × 10⁻⁵ − 0.2; a pixel is kept only when QA_PIXEL marks it clear and
    neither cloud, dilated cloud, cirrus, cloud shadow nor snow. DN 0 is no data.

    Raises:
        ValueError: naming the file if SR_B4, SR_B5 or QA_PIXEL is missing.
    """
    band = described_bands(path, ("SR_B4", "SR_B5", "QA_PIXEL"), "export SR_B4, SR_B5 and QA_PIXEL (Collection 2 L2)")
    red_dn, nir_dn = warp_bands(path, [band["SR_B4"], band["SR_B5"]], grid, Resampling.nearest)
    qa = warp_bands(path, [band["QA_PIXEL"]], grid, Resampling.nearest, use_nodata=False)[0]
    ndvi = ndvi_from_bands(red_dn * LANDSAT_SR_SCALE + LANDSAT_SR_OFFSET, nir_dn * LANDSAT_SR_SCALE + LANDSAT_SR_OFFSET)
    bits = np.nan_to_num(qa, nan=0).astype(np.uint16)
    clear = ((bits & LANDSAT_CLEAR_BIT) != 0) & ((bits & LANDSAT_NOT_CLEAR_BITS) == 0)
    ndvi[~clear] = np.nan
    return ndvi


PLANET_RED_NIR = {4: (3, 4), 8: (6, 8)}  # band count → (red, NIR): 4-band (B, G, R, NIR) and 8-band SR


def planet_ndvi(path: str | Path, grid: AreaGrid, udm2_path: str | Path | None = None) -> np.ndarray:
    """NDVI on ``grid`` from a PlanetScope SR scene, 3 m → grid by nearest neighbour.

    4-band scenes are (blue, green, red, NIR); 8-band ones (coastal blue, blue, green I, green,
    yellow, red, red edge, NIR). With a UDM2 mask (band 1 = clear), pixels that are not clear are NaN.

    Raises:
        ValueError: naming the file if it has neither 4 nor 8 bands.
    """
    with rasterio.open(path) as src:
        count = src.count
    if count not in PLANET_RED_NIR:
        raise ValueError(f"{path}: {count} bands; a PlanetScope SR scene has 4 or 8 (AnalyticMS_SR or _SR_8b)")
    red, nir = warp_bands(path, list(PLANET_RED_NIR[count]), grid, Resampling.nearest)
    ndvi = ndvi_from_bands(red, nir)
    if udm2_path is not None and Path(udm2_path).exists():
        clear = warp_bands(udm2_path, [1], grid, Resampling.nearest, use_nodata=False)[0]
        ndvi[~(clear == 1)] = np.nan
    return ndvi


def nearest_date(target: date, candidates: list[date], max_days: int) -> date | None:
    """The candidate closest to ``target`` within ± ``max_days`` (earlier wins a tie), else None."""
    best = None
    for cand in sorted(candidates):
        gap = abs((cand - target).days)
        if gap <= max_days and (best is None or gap < abs((best - target).days)):
            best = cand
    return best
