"""Training and evaluation samples: SAR index channels paired with NDVI targets on farm pixels.

A sample is an image of the area (or, for the large pre-training area, a tile of it, as in SEN12TP's
256/249 tiling scaled to our areas) with arrays

- ``x``: (C, H, W) float32 SAR channels (NaN where no SAR),
- ``y``: (1, H, W) float32 NDVI target (NaN where no valid observation),
- ``mask``: (1, H, W) uint8, 1 on farm pixels with a valid target and valid SAR.

Tiles with less than ``min_valid_fraction`` of masked pixels are dropped (SEN12TP's invalid-tile filter).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from sar2ndvi.grid import AreaGrid
from sar2ndvi.io import read_raster


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
    xs, ys, masks, origin = [], [], [], []
    for k, (index_path, target_path) in enumerate(zip(index_paths, target_paths, strict=True)):
        x = read_raster(index_path, study)[(slice(None), *window)]
        if channels is not None:
            x = x[list(channels)]
        if static is not None:
            x = np.concatenate([x, np.asarray(static, np.float32)[(slice(None), *window)]])
        y = read_raster(target_path, study)[0][window]
        if target_transform is not None:
            y = target_transform(y)
        valid = farm & np.isfinite(y) & np.isfinite(x).all(axis=0)
        for r in tile_rows:
            for c in tile_cols:
                cut = (slice(r, r + size_r), slice(c, c + size_c))
                m = valid[cut]
                if m.mean() < min_valid_fraction or not m.any():
                    continue
                xs.append(x[(slice(None), *cut)])
                ys.append(y[cut][np.newaxis])
                masks.append(m[np.newaxis].astype(np.uint8))
                origin.append(k)
    if not xs:
        raise ValueError(
            f"area {area.name!r}: none of the {len(index_paths)} pairs has farm pixels with both SAR and a valid "
            "NDVI target; check the farm mask, the cloud threshold and pairing.max_days"
        )
    return {
        "x": np.stack(xs).astype(np.float32),
        "y": np.stack(ys).astype(np.float32),
        "mask": np.stack(masks),
        "pair_index": np.asarray(origin, np.int64),
    }
