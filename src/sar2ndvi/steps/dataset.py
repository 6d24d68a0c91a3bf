"""The dataset step: paired SAR/NDVI samples of one training stage (pretrain, finetune, validation, test)."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from sar2ndvi.grid import AreaGrid
from sar2ndvi.io import read_raster, write_json, write_text_if_changed
from sar2ndvi.steps.job import as_paths

log = logging.getLogger(__name__)


def dataset(
    stage: str,
    pairs: Mapping[str, Sequence[Any]],
    indexes: Sequence[str],
    targets: Sequence[str],
    mask: str | Path,
    heights: str | Path,
    study_grid: str | Path,
    grid: str | Path,
    out_data: str | Path,
    out_pairs: str | Path,
    out_record: str | Path,
    calibration: Mapping[str, float] | None = None,
    regression: str | Path | Sequence[str] = (),
    excluded_grids: Sequence[str] = (),
    tile_size: int | None = None,
    tile_stride: int | None = None,
    min_valid_fraction: float = 0.0,
) -> None:
    """Samples of ``stage``: SAR index channels and static layers (x), NDVI targets (y), farm mask.

    Args:
        pairs: the stage's scenes and NDVI dates (columns ``scene``, ``ndvi_date``, …), one per sample image.
        indexes, targets: the index rasters of the pairs' scenes, and the NDVI rasters (named by date).
        calibration: slope and intercept mapping pre-training targets (Sentinel-2) onto Planet's scale,
            with ``regression`` the latest fit (logged beside it); pre-training only.
        excluded_grids: areas (with a buffer) that pre-training must not see: validation and test.
        tile_size, tile_stride, min_valid_fraction: pre-training tiles of the study area; other
            stages take their area whole.
    """
    import pandas as pd

    from sar2ndvi.dataset import build_samples, exclusion_mask, save_samples, static_layers
    from sar2ndvi.regression import LinearFit
    from sar2ndvi.variants import DATASET_CHANNELS

    study = AreaGrid.read(study_grid)
    area = AreaGrid.read(grid)
    parcel_ids = read_raster(mask, study)[0]
    static = static_layers(read_raster(heights, study)[0], parcel_ids > 0)
    table = pd.DataFrame(dict(pairs))
    transform = excluded = None
    if stage == "pretrain":
        fit = json.loads(Path(as_paths(regression)[0]).read_text())
        transform = LinearFit(**{**fit, **calibration}).apply
        excluded = exclusion_mask(study, [AreaGrid.read(g) for g in as_paths(excluded_grids)], buffer_px=10)
        log.info(
            "pre-training targets: Planet ≈ %.4f · S2 + %.4f (latest fit %.4f · S2 + %.4f)",
            calibration["slope"],
            calibration["intercept"],
            fit["slope"],
            fit["intercept"],
        )
    else:
        tile_size = tile_stride = None
        min_valid_fraction = 0.0
    target_of_date = {Path(path).stem: path for path in as_paths(targets)}
    samples = build_samples(
        as_paths(indexes),
        [target_of_date[date] for date in table["ndvi_date"]],
        parcel_ids,
        study,
        area,
        target_transform=transform,
        excluded=excluded,
        tile=tile_size,
        stride=tile_stride,
        min_valid_fraction=min_valid_fraction,
        static=static,
        # overlapping tiles would copy the index rasters once more: they are cut from them when loaded
        sar_by_reference=bool(tile_size),
    )
    kept = table.iloc[np.unique(samples["pair_index"])]
    save_samples(
        out_data,
        samples,
        scenes=table["scene"].to_numpy(str),
        ndvi_dates=table["ndvi_date"].to_numpy(str),
        channel_names=np.array(DATASET_CHANNELS),
    )
    write_text_if_changed(out_pairs, table.to_csv(index=False))
    write_json(
        out_record,
        {
            "stage": stage,
            "target": "sentinel2" if stage == "pretrain" else "planet",
            "calibration": calibration,
            "pairs": len(table),
            "pairs_with_samples": len(kept),
            "samples": len(samples["y"]),
        },
    )
    log.info(
        "%s: %d samples of %s from %d of %d pairs, %.1f %% masked pixels",
        stage,
        len(samples["y"]),
        (len(DATASET_CHANNELS), *samples["y"].shape[2:]),
        len(kept),
        len(table),
        100 * samples["mask"].mean(),
    )
