"""Atomic, self-describing file output.

Every file is written to a temporary name in its destination folder and renamed into place only
once complete, so a failed or killed job never leaves a half-written output behind.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import tempfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import rasterio
import rasterio.shutil
from affine import Affine
from rasterio.enums import Resampling
from rasterio.warp import reproject, transform_bounds
from rasterio.windows import Window, from_bounds

from sar2ndvi.grid import AreaGrid

# Names that must never reach a file's metadata, a log or a config dump.
SECRET_MARKERS = ("token", "password", "secret", "credential", "private_key", "api_key", "apikey")


@contextlib.contextmanager
def atomic_path(path: str | Path, suffix: str | None = None) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it onto ``path`` if the block succeeds.

    The temporary file is removed if the block raises.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=suffix or path.suffix, dir=path.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        # mkstemp makes the file private (0600); a result gets the modes any new file of the user gets
        os.chmod(tmp_path, 0o666 & ~current_umask())
        os.replace(tmp_path, path)
    except BaseException:
        tmp_path.unlink(missing_ok=True)
        raise


def current_umask() -> int:
    """The process's umask, read without changing it (os.umask sets it while reading it)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except OSError:
        pass
    return 0o022


def write_json(path: str | Path, data: Any) -> None:
    """Write ``data`` as indented JSON, atomically."""
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(data, indent=2, sort_keys=False, default=str) + "\n")


def write_text_if_changed(path: str | Path, text: str) -> bool:
    """Write ``text`` atomically unless the file already holds exactly it.

    Keeping the file untouched when its content is unchanged keeps its modification time, so
    a search that finds nothing new triggers no downstream rerun. Returns True if written.
    """
    path = Path(path)
    if path.exists() and path.read_text() == text:
        return False
    with atomic_path(path) as tmp:
        tmp.write_text(text)
    return True


def clean_tags(tags: Mapping[str, Any]) -> dict[str, str]:
    """Tags as strings, refusing any key that looks like a secret."""
    out = {}
    for key, value in tags.items():
        if any(marker in key.lower() for marker in SECRET_MARKERS):
            raise ValueError(f"refusing to write tag {key!r}: it looks like a secret")
        out[key] = value if isinstance(value, str) else json.dumps(value, default=str)
    return out


def write_raster(
    path: str | Path,
    data: np.ndarray,
    grid: AreaGrid,
    descriptions: Sequence[str] | None = None,
    tags: Mapping[str, Any] | None = None,
    nodata: float | int | None = np.nan,
    cog: bool = False,
) -> None:
    """Write a (bands, rows, cols) or (rows, cols) array on ``grid`` as a GeoTIFF, atomically.

    Float data use NaN as nodata. Output is tiled and deflate-compressed; ``cog=True`` writes a
    Cloud-Optimized GeoTIFF with overviews (for results).

    Raises:
        ValueError: if the array does not match the grid's shape.
    """
    data = np.asarray(data)
    if data.ndim == 2:
        data = data[np.newaxis]
    if data.shape[1:] != grid.shape:
        raise ValueError(f"{path}: array of shape {data.shape[1:]} does not match grid {grid.name!r} {grid.shape}")
    if descriptions is not None and len(descriptions) != data.shape[0]:
        raise ValueError(f"{path}: {len(descriptions)} band descriptions for {data.shape[0]} bands")
    if cog:
        with raster_bands(path, grid, data.shape[0], descriptions, tags, data.dtype.name, nodata, cog=True) as put:
            put(0, data)
        return
    profile: dict[str, Any] = {
        "count": data.shape[0],
        "height": grid.height,
        "width": grid.width,
        "dtype": data.dtype.name,
        "crs": grid.crs,
        "transform": grid.transform,
        "nodata": nodata,
        "compress": "deflate",
    }
    if data.dtype.kind == "f":
        profile["predictor"] = 3
    with atomic_path(path, suffix=".tif") as tmp:
        profile.update(driver="GTiff", tiled=True, blockxsize=256, blockysize=256)
        with rasterio.open(tmp, "w", **profile) as dst:
            _fill(dst, data, descriptions, tags)


#: MB of GDAL's block cache while writing a stack of bands, and in jobs that read many rasters: the
#: default, 5 % of the machine's memory, fills with every band written or read
GDAL_CACHE_MB = 128


def gdal_block_cache(megabytes: int = GDAL_CACHE_MB) -> rasterio.Env:
    """A rasterio environment whose GDAL block cache holds ``megabytes`` MB.

    rasterio hands an integer ``GDAL_CACHEMAX`` to GDAL as bytes: ``GDAL_CACHEMAX=128`` is a
    128-byte cache, in which every block of a pixel-interleaved raster is inflated again for each
    of its bands (six times slower reads of a ten-band stack).
    """
    return rasterio.Env(GDAL_CACHEMAX=megabytes * 2**20)


@contextmanager
def raster_bands(
    path: str | Path,
    grid: AreaGrid,
    count: int,
    descriptions: Sequence[str] | None = None,
    tags: Mapping[str, Any] | None = None,
    dtype: str = "float32",
    nodata: float | int | None = np.nan,
    cog: bool = True,
) -> Iterator[Callable[[int, np.ndarray], None]]:
    """Write a raster of ``count`` bands on ``grid`` a few bands at a time, atomically.

    Yields ``put(first_band, bands)``, which writes (k, rows, cols) bands from 0-based ``first_band``.
    The bands are staged in a tiled GeoTIFF beside the result, then copied into a band-interleaved,
    tiled, deflated GeoTIFF; with ``cog``, with average overviews down to one tile, laid out as a
    Cloud-Optimized GeoTIFF (the overviews copied ahead of the full resolution). Band interleaving
    keeps each acquisition readable on its own and the memory flat in the number of bands: a
    pixel-interleaved tile holds every band, which for a thousand acquisitions is gigabytes.
    """
    floating = np.dtype(dtype).kind == "f"
    if descriptions is not None and len(descriptions) != count:
        raise ValueError(f"{path}: {len(descriptions)} band descriptions for {count} bands")
    profile: dict[str, Any] = {
        "driver": "GTiff",
        "count": count,
        "height": grid.height,
        "width": grid.width,
        "dtype": dtype,
        "crs": grid.crs,
        "transform": grid.transform,
        "nodata": nodata,
        "interleave": "band",
        "tiled": True,
        "blockxsize": 256,
        "blockysize": 256,
    }
    options = {"TILED": "YES", "BLOCKXSIZE": 256, "BLOCKYSIZE": 256, "INTERLEAVE": "BAND", "COMPRESS": "DEFLATE"}
    if floating:
        options["PREDICTOR"] = 3
    with atomic_path(path, suffix=".tif") as tmp:
        staging = tmp.with_name(tmp.name + ".staging.tif")
        try:
            with gdal_block_cache(), rasterio.open(staging, "w", **profile) as dst:

                def put(first_band: int, bands: np.ndarray) -> None:
                    bands = np.asarray(bands)
                    if bands.shape[1:] != grid.shape:
                        raise ValueError(
                            f"{path}: bands of shape {bands.shape[1:]} for grid {grid.name!r} {grid.shape}"
                        )
                    indexes = list(range(first_band + 1, first_band + 1 + len(bands)))
                    dst.write(bands.astype(dtype, copy=False), indexes=indexes)

                yield put
                if descriptions:
                    for band, text in enumerate(descriptions, start=1):
                        dst.set_band_description(band, text)
                if tags:
                    dst.update_tags(**clean_tags(tags))
                factors = overview_factors(grid.shape) if cog else []
                if factors:
                    dst.build_overviews(factors, Resampling.average)
            with gdal_block_cache(), rasterio.open(staging) as src:
                rasterio.shutil.copy(src, tmp, driver="GTiff", COPY_SRC_OVERVIEWS="YES" if cog else "NO", **options)
        finally:
            staging.unlink(missing_ok=True)


def overview_factors(shape: tuple[int, int], tile: int = 256) -> list[int]:
    """Decimation factors 2, 4, … until the image fits in one ``tile`` (none for an image that already does)."""
    factors, factor = [], 2
    while max(shape) > tile * factor // 2:
        factors.append(factor)
        factor *= 2
    return factors


def write_geotiff(
    path: str | Path,
    data: np.ndarray,
    transform: Affine,
    crs: str | None,
    dtype: str,
    nodata: float | None,
    descriptions: Sequence[str] | None = None,
    tags: Mapping[str, Any] | None = None,
) -> None:
    """Write a (bands, rows, cols) array on any georeferencing as a tiled, deflated GeoTIFF, atomically.

    For rasters that are not on an :class:`AreaGrid` (lon/lat DEM tiles, archive formats); results
    on a grid go through :func:`write_raster`.
    """
    with atomic_path(path, suffix=".tif") as tmp:
        with rasterio.open(
            tmp,
            "w",
            driver="GTiff",
            count=data.shape[0],
            height=data.shape[1],
            width=data.shape[2],
            dtype=dtype,
            crs=crs,
            transform=transform,
            nodata=nodata,
            tiled=True,
            blockxsize=256,
            blockysize=256,
            compress="deflate",
        ) as dst:
            _fill(dst, data.astype(dtype), descriptions, tags)


def _fill(dst: Any, data: np.ndarray, descriptions: Sequence[str] | None, tags: Mapping[str, Any] | None) -> None:
    dst.write(data)
    if descriptions:
        for band, text in enumerate(descriptions, start=1):
            dst.set_band_description(band, text)
    if tags:
        dst.update_tags(**clean_tags(tags))


def read_raster(path: str | Path, grid: AreaGrid | None = None, area: AreaGrid | None = None) -> np.ndarray:
    """Read every band as float32 (NaN for nodata); check it lies on ``grid`` if given.

    Args:
        grid: the grid the file must lie on.
        area: read only this part of ``grid`` (a grid inside it, see :meth:`AreaGrid.window_of`).

    Raises:
        ValueError: naming the file, if it is not on the expected grid.
    """
    with rasterio.open(path) as src:
        if grid is not None:
            same = (
                src.crs == rasterio.crs.CRS.from_user_input(grid.crs)
                and (src.height, src.width) == grid.shape
                and src.transform.almost_equals(grid.transform, precision=1e-6)
            )
            if not same:
                raise ValueError(
                    f"{path}: not on grid {grid.name!r} ({grid.crs}, {grid.shape}, {tuple(grid.transform)[:6]}); "
                    "delete it and rerun the workflow to rebuild it"
                )
        window = None
        if area is not None:
            if grid is None:
                raise ValueError("reading an area needs the grid the file lies on")
            row, col, rows, cols = grid.window_of(area)
            window = Window(col, row, cols, rows)
        data = src.read(masked=True, window=window).astype(np.float32)
        return data.filled(np.nan)


def band_descriptions(path: str | Path) -> list[str]:
    """The band descriptions of a raster."""
    with rasterio.open(path) as src:
        return [d or "" for d in src.descriptions]


def warp_bands(
    path: str | Path, bands: list[int], grid: AreaGrid, resampling: Resampling, use_nodata: bool = True
) -> np.ndarray:
    """Bands of a raster resampled onto ``grid`` with GDAL; float32, NaN where nodata or outside.

    ``use_nodata=False`` ignores the file's nodata value (GeoTIFF has one for all bands, and for
    a band such as cloud probability that value can be a valid reading).

    Raises:
        ValueError: naming the file if it has no CRS or fewer bands than asked for.
    """
    with rasterio.open(path) as src:
        if src.crs is None:
            raise ValueError(f"{path}: raster has no CRS; it cannot be placed on grid {grid.name!r}")
        if max(bands) > src.count:
            raise ValueError(f"{path}: has {src.count} bands, band {max(bands)} was asked for")
        # Read only the part of the scene under the grid (plus a margin for the resampling kernel).
        left, bottom, right, top = transform_bounds(grid.crs, src.crs, *grid.bounds, densify_pts=21)
        exact = from_bounds(left, bottom, right, top, src.transform)
        col0, row0 = math.floor(exact.col_off) - 2, math.floor(exact.row_off) - 2
        window = Window(col0, row0, math.ceil(exact.width) + 5, math.ceil(exact.height) + 5)
        window = window.intersection(Window(0, 0, src.width, src.height)) if _overlaps(window, src) else None
        out = np.full((len(bands), *grid.shape), np.nan, dtype=np.float32)
        if window is None:
            return out
        data = src.read(bands, window=window).astype(np.float32)
        nodata = src.nodata if use_nodata else None
        if nodata is not None:
            data[data == nodata] = np.nan
        for i in range(len(bands)):
            reproject(
                source=data[i],
                destination=out[i],
                src_transform=src.window_transform(window),
                src_crs=src.crs,
                src_nodata=np.nan,
                dst_nodata=np.nan,
                dst_transform=grid.transform,
                dst_crs=grid.crs,
                resampling=resampling,
            )
    return out


def _overlaps(window: Window, src) -> bool:
    return (
        window.col_off < src.width
        and window.row_off < src.height
        and window.col_off + window.width > 0
        and window.row_off + window.height > 0
    )


__all__ = [
    "Resampling",
    "atomic_path",
    "band_descriptions",
    "clean_tags",
    "read_raster",
    "warp_bands",
    "write_json",
    "write_raster",
    "write_text_if_changed",
]
