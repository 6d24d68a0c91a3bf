"""Paired SAR/NDVI samples of one training stage (pretrain, finetune, validation, test)."""

import json
from pathlib import Path

import numpy as np
import pandas as pd

from sar2ndvi.dataset import build_samples, exclusion_mask
from sar2ndvi.grid import AreaGrid
from sar2ndvi.io import atomic_path, read_raster, write_json, write_text_if_changed
from sar2ndvi.regression import LinearFit
from sar2ndvi.runlog import configure
from sar2ndvi.variants import DATASET_CHANNELS

log = configure(snakemake.log[0])
stage = snakemake.wildcards.stage
p = snakemake.params
study = AreaGrid.read(snakemake.input.study_grid)
area = AreaGrid.read(snakemake.input.grid)
parcel_ids = read_raster(snakemake.input.mask, study)[0]
# static layers after the SAR channels, in DATASET_CHANNELS order: height (m), farm parcel (0/1)
static = np.concatenate([read_raster(snakemake.input.dem, study), (parcel_ids > 0)[np.newaxis].astype(np.float32)])
pairs = pd.DataFrame(p.pairs)
transform = excluded = None
tile = stride = None
min_valid = 0.0
calibration = p.calibration
if stage == "pretrain":
    # the calibration decided by the workflow (common.smk): the latest fit, or the one in use while a refit
    # stays within regression.refit_tolerance
    fit = json.loads(Path(snakemake.input.regression[0]).read_text())
    transform = LinearFit(**{**fit, **calibration}).apply
    excluded = exclusion_mask(study, [AreaGrid.read(g) for g in snakemake.input.excluded_grids], buffer_px=10)
    tile, stride, min_valid = p.tile_size, p.tile_stride, p.min_valid_fraction
    log.info(
        "pre-training targets: Planet ≈ %.4f · S2 + %.4f (latest fit %.4f · S2 + %.4f)",
        calibration["slope"],
        calibration["intercept"],
        fit["slope"],
        fit["intercept"],
    )
target_of_date = {Path(path).stem: path for path in snakemake.input.targets}
samples = build_samples(
    snakemake.input.indexes,
    [target_of_date[date] for date in pairs["ndvi_date"]],
    parcel_ids,
    study,
    area,
    target_transform=transform,
    excluded=excluded,
    tile=tile,
    stride=stride,
    min_valid_fraction=min_valid,
    static=static,
)
kept = pairs.iloc[np.unique(samples["pair_index"])]
with atomic_path(snakemake.output.data, suffix=".npz") as tmp:
    with open(tmp, "wb") as handle:
        np.savez(
            handle,
            **samples,
            scenes=pairs["scene"].to_numpy(str),
            ndvi_dates=pairs["ndvi_date"].to_numpy(str),
            channel_names=np.array(DATASET_CHANNELS),
        )
write_text_if_changed(snakemake.output.pairs, pairs.to_csv(index=False))
write_json(
    snakemake.output.record,
    {
        "stage": stage,
        "target": "sentinel2" if stage == "pretrain" else "planet",
        "calibration": calibration,
        "pairs": len(pairs),
        "pairs_with_samples": len(kept),
        "samples": len(samples["x"]),
    },
)
log.info(
    "%s: %d samples of %s from %d of %d pairs, %.1f %% masked pixels",
    stage,
    len(samples["x"]),
    samples["x"].shape[1:],
    len(kept),
    len(pairs),
    100 * samples["mask"].mean(),
)
