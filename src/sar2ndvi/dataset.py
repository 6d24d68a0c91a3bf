"""Training and evaluation samples: SAR index channels paired with NDVI targets on farm pixels.

A sample is an image of the area (or, for the large pre-training area, a tile of it, as in SEN12TP's
256/249 tiling scaled to our areas) with arrays

- ``x``: (C, H, W) float32 SAR channels (NaN where no SAR),
- ``y``: (1, H, W) float32 NDVI target (NaN where no valid observation),
- ``mask``: (1, H, W) uint8, 1 on farm pixels with a valid target and valid SAR.

Tiles with less than ``min_valid_fraction`` of masked pixels are dropped (SEN12TP's invalid-tile filter).

A dataset file (:func:`save_samples`) holds the samples' ``x`` itself, or — for tiles, which overlap
and would copy every index raster of the study once more (1.3 GB for the demo's pre-training area) —
where to cut them from: the index rasters (with their SHA-256), the area's window on them, each
tile's origin and the static layers. :func:`load_samples` gives the same arrays either way.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from sar2ndvi.grid import AreaGrid
from sar2ndvi.io import atomic_path, gdal_block_cache, read_raster


def static_layers(heights: np.ndarray, farm: np.ndarray) -> np.ndarray:
    """The model inputs after the SAR channels, in ``DATASET_CHANNELS`` order: height (m), farm parcel (0/1).

    Args:
        heights: m above the WGS 84 ellipsoid, (rows, cols).
        farm: True on farm parcels, the same shape.

    Returns:
        (2, rows, cols) float32.
    """
    return np.stack([np.asarray(heights, np.float32), np.asarray(farm, bool).astype(np.float32)])


def tile_origins(length: int, tile: int, stride: int) -> list[int]:
    """Start offsets of tiles of size ``tile`` every ``stride`` pixels, the last one flush with the end."""
    if length <= tile:
        return [0]
    starts = list(range(0, length - tile + 1, stride))
    if starts[-1] != length - tile:
        starts.append(length - tile)
    return starts


def exclusion_mask(study: AreaGrid, excluded: Sequence[AreaGrid], buffer_px: int = 0) -> np.ndarray:
    """Boolean mask on ``study``: True inside any ``excluded`` grid grown by ``buffer_px`` pixels."""
    out = np.zeros(study.shape, dtype=bool)
    for grid in excluded:
        row, col, rows, cols = study.window_of(grid)
        out[
            max(row - buffer_px, 0) : row + rows + buffer_px,
            max(col - buffer_px, 0) : col + cols + buffer_px,
        ] = True
    return out


def build_samples(
    index_paths: Sequence[str | Path],
    target_paths: Sequence[str | Path],
    parcel_ids: np.ndarray,
    study: AreaGrid,
    area: AreaGrid,
    target_transform=None,
    excluded: np.ndarray | None = None,
    tile: int | None = None,
    stride: int | None = None,
    min_valid_fraction: float = 0.0,
    channels: Sequence[int] | None = None,
    static: np.ndarray | None = None,
    sar_by_reference: bool = False,
) -> dict[str, np.ndarray]:
    """Stack paired (SAR, NDVI) images of ``area`` into samples.

    Args:
        index_paths: SAR index rasters on the study grid, one per pair.
        target_paths: NDVI rasters on the study grid, one per pair (same order).
        parcel_ids: parcel id raster on the study grid (0 = not farm).
        study: the study grid all inputs lie on.
        area: the grid of the samples (inside ``study``).
        target_transform: optional mapping applied to the targets (e.g. the S2 → Planet regression).
        excluded: boolean mask on the study grid of pixels never used as targets.
        tile, stride: cut each image into tiles (None: whole area images).
        min_valid_fraction: drop samples with fewer masked pixels than this fraction.
        channels: indices of the SAR channels to keep (None: all).
        static: layers on the study grid (S, rows, cols) appended to every sample's channels, e.g. the
            DEM height; a NaN there makes the pixel invalid like missing SAR.
        sar_by_reference: return, instead of ``x``, where to cut it from (``x_files``, ``x_digests``,
            ``x_window``, ``x_origin``, ``x_static``, ``x_channels``; see :func:`load_samples`), and
            ``y`` NaN off the ``mask``.

    Returns:
        dict with ``x``, ``y``, ``mask`` and ``pair_index`` (the pair each sample came from).

    Raises:
        ValueError: if no sample has a valid farm pixel.
    """
    if len(index_paths) != len(target_paths):
        raise ValueError("index and target lists differ in length")
    row, col, rows, cols = study.window_of(area)
    window = (slice(row, row + rows), slice(col, col + cols))
    farm = parcel_ids[window] > 0
    if excluded is not None:
        farm &= ~excluded[window]
    tile_rows = tile_origins(rows, tile, stride) if tile else [0]
    tile_cols = tile_origins(cols, tile, stride) if tile else [0]
    size_r = min(tile, rows) if tile else rows
    size_c = min(tile, cols) if tile else cols
    xs, ys, masks, origin, corners = [], [], [], [], []
    with gdal_block_cache():
        for k, (index_path, target_path) in enumerate(zip(index_paths, target_paths, strict=True)):
            x = read_raster(index_path, study, area)
            if channels is not None:
                x = x[list(channels)]
            if static is not None:
                x = np.concatenate([x, np.asarray(static, np.float32)[(slice(None), *window)]])
            y = read_raster(target_path, study, area)[0]
            if target_transform is not None:
                y = target_transform(y)
            valid = farm & np.isfinite(y) & np.isfinite(x).all(axis=0)
            for r in tile_rows:
                for c in tile_cols:
                    cut = (slice(r, r + size_r), slice(c, c + size_c))
                    m = valid[cut]
                    if m.mean() < min_valid_fraction or not m.any():
                        continue
                    if not sar_by_reference:
                        xs.append(x[(slice(None), *cut)])
                    # a tile's targets off its mask are never read: left out, they compress away
                    ys.append((np.where(m, y[cut], np.nan) if sar_by_reference else y[cut])[np.newaxis])
                    masks.append(m[np.newaxis].astype(np.uint8))
                    origin.append(k)
                    corners.append((r, c))
    if not ys:
        raise ValueError(
            f"area {area.name!r}: none of the {len(index_paths)} pairs has farm pixels with both SAR and a valid "
            "NDVI target; check the farm mask, the cloud threshold and pairing.max_days"
        )
    samples = {
        "y": np.stack(ys).astype(np.float32),
        "mask": np.stack(masks),
        "pair_index": np.asarray(origin, np.int64),
    }
    if not sar_by_reference:
        return {"x": np.stack(xs).astype(np.float32), **samples}
    used = set(origin)
    return {
        **samples,
        "x_files": np.array([str(path) for path in index_paths]),
        "x_digests": np.array([file_digest(path) if k in used else "" for k, path in enumerate(index_paths)]),
        "x_window": np.array([row, col, rows, cols], np.int64),
        "x_origin": np.asarray(corners, np.int64),
        "x_shape": np.array([size_r, size_c], np.int64),
        "x_channels": np.array([] if channels is None else list(channels), np.int64),
        "x_static": np.zeros((0, rows, cols), np.float32)
        if static is None
        else np.asarray(static, np.float32)[(slice(None), *window)],
    }


def file_digest(path: str | Path) -> str:
    """SHA-256 of a file's bytes, hex."""
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def save_samples(path: str | Path, samples: dict[str, np.ndarray], **extra: Any) -> None:
    """Write samples (:func:`build_samples`) and ``extra`` arrays to a compressed ``.npz``, atomically."""
    with atomic_path(path, suffix=".npz") as tmp, open(tmp, "wb") as handle:
        np.savez_compressed(handle, **samples, **extra)


def load_samples(path: str | Path, channels: Sequence[str] | None = None) -> dict[str, np.ndarray]:
    """The arrays of a dataset file, with ``x`` (N, C, H, W) cut from its index rasters where it refers to them.

    Args:
        channels: names of the channels to keep, in this order (see ``channel_names``); None: all.

    Raises:
        ValueError: naming the dataset and the raster, if a raster it refers to is missing or has
            changed since the dataset was built; naming the channels the dataset lacks.
    """
    from sar2ndvi.variants import channel_positions

    with np.load(path) as data:
        out = {key: data[key] for key in data.files}
    names = [str(name) for name in out["channel_names"]]
    keep = list(range(len(names))) if channels is None else channel_positions(names, channels)
    if "x" in out:
        out["x"] = out["x"][:, keep]
        return out
    files, digests = out.pop("x_files"), out.pop("x_digests")
    row, col, rows, cols = (int(v) for v in out.pop("x_window"))
    corners, (size_r, size_c) = out.pop("x_origin"), out.pop("x_shape")
    sar_channels, static = list(out.pop("x_channels")), out.pop("x_static")
    x = np.empty((len(corners), len(keep), size_r, size_c), np.float32)
    with gdal_block_cache():
        for pair in np.unique(out["pair_index"]):
            source = Path(files[pair])
            if not source.exists() or file_digest(source) != digests[pair]:
                state = "is missing" if not source.exists() else "has changed since the dataset was built"
                raise ValueError(
                    f"{path}: its SAR channels are read from {source}, which {state}; rebuild the dataset "
                    "(delete it and run the workflow again)"
                )
            image = read_raster(source)[:, row : row + rows, col : col + cols]
            if sar_channels:
                image = image[sar_channels]
            image = np.concatenate([image, static])[keep]
            for k in np.flatnonzero(out["pair_index"] == pair):
                r, c = corners[k]
                x[k] = image[:, r : r + size_r, c : c + size_c]
    out["x"] = x
    return out
