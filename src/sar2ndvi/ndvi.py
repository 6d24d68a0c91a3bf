"""NDVI from optical imagery on an area grid: Sentinel-2 L1C (Earth Engine exports) and PlanetScope SR.

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


def parse_sentinel2_name(path: str | Path) -> OpticalScene:
    """Acquisition time from an Earth Engine S2 file name ``YYYYMMDDTHHMMSS_YYYYMMDDTHHMMSS_Txxxxx*.tif``.

    Raises:
        ValueError: naming the file if the name does not follow that pattern.
    """
    path = Path(path)
    match = _S2_NAME.match(path.name)
    if not match:
        raise ValueError(
            f"{path}: not an Earth Engine Sentinel-2 file name (expected e.g. "
            "20170605T012651_20170605T012653_T54SUE.tif); rename it or export it with its system:index"
        )
    return OpticalScene(path, datetime.strptime(match["date"] + match["time"], "%Y%m%d%H%M%S"))


def parse_planet_name(path: str | Path) -> OpticalScene:
    """Acquisition time from a PlanetScope file name ``YYYYMMDD_HHMMSS_xxxx_3B_AnalyticMS_SR*.tif``.

    Raises:
        ValueError: naming the file if the name does not follow that pattern.
    """
    path = Path(path)
    match = _PLANET_NAME.match(path.name)
    if not match:
        raise ValueError(
            f"{path}: not a PlanetScope 4-band surface reflectance file name (expected e.g. "
            "20170612_012345_0f22_3B_AnalyticMS_SR.tif)"
        )
    return OpticalScene(path, datetime.strptime(match["date"] + match["time"], "%Y%m%d%H%M%S"))


def ndvi_from_bands(red: np.ndarray, nir: np.ndarray) -> np.ndarray:
    """NDVI from red and NIR reflectance (any common scale); NaN where either is NaN or red + NIR ≤ 0."""
    red = np.asarray(red, dtype=np.float64)
    nir = np.asarray(nir, dtype=np.float64)
    total = red + nir
    with np.errstate(invalid="ignore", divide="ignore"):
        ndvi = np.where(total > 0, (nir - red) / total, np.nan)
    return np.clip(ndvi, -1.0, 1.0).astype(np.float32)


def sentinel2_ndvi(path: str | Path, grid: AreaGrid, cloud_probability_max: float) -> np.ndarray:
    """NDVI on ``grid`` from an S2 export with bands B4, B8 (TOA reflectance × 10,000) and s2cloudless probability.

    Pixels whose cloud probability exceeds ``cloud_probability_max`` (percent) are NaN. Bands are
    found by their descriptions, so exports with extra bands work.

    Raises:
        ValueError: naming the file if B4, B8 or probability is missing.
    """
    with rasterio.open(path) as src:
        names = [d or "" for d in src.descriptions]
    wanted = {}
    for key in ("B4", "B8", "probability"):
        if key not in names:
            raise ValueError(
                f"{path}: no band described as {key!r} (bands: {names}); export B4, B8 and the "
                "s2cloudless 'probability' band"
            )
        wanted[key] = names.index(key) + 1
    red, nir = warp_bands(path, [wanted["B4"], wanted["B8"]], grid, Resampling.nearest)
    cloud = warp_bands(path, [wanted["probability"]], grid, Resampling.nearest, use_nodata=False)[0]
    ndvi = ndvi_from_bands(red, nir)
    ndvi[~(cloud <= cloud_probability_max)] = np.nan
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
