"""NDVI of every Sentinel-1 acquisition over one area, with test-time augmentation."""

import json

import numpy as np
import pandas as pd

from sar2ndvi.grid import AreaGrid
from sar2ndvi.indexes import PLAIN_CHANNEL_INDEXES
from sar2ndvi.io import read_raster, write_raster
from sar2ndvi.model import load_bundle, predict
from sar2ndvi.runlog import configure

log = configure(snakemake.log[0])
p = snakemake.params
study = AreaGrid.read(snakemake.input.study_grid)
area = AreaGrid.read(snakemake.input.grid)
row, col, rows, cols = study.window_of(area)
farm = read_raster(snakemake.input.mask, area)[0] > 0
scenes = pd.DataFrame(p.scenes)
channels = None if p.use_sar_indexes else list(PLAIN_CHANNEL_INDEXES)
x = np.stack(
    [
        read_raster(path, study)[:, row : row + rows, col : col + cols][channels if channels else slice(None)]
        for path in snakemake.input.indexes
    ]
)
bundle = load_bundle(snakemake.input.model)
ndvi = predict(bundle, x, tta=p.tta)
ndvi[:, ~farm] = np.nan
ndvi[~np.isfinite(x).all(axis=1)] = np.nan
write_raster(
    snakemake.output[0],
    ndvi,
    area,
    [pd.Timestamp(t).isoformat() for t in scenes["start"]],
    {
        "scenes": json.dumps(list(scenes["scene"])),
        "model": bundle["digest"],
        "units": "NDVI",
        "test_time_augmentation": str(p.tta),
        "area": area.name,
    },
    cog=True,
)
log.info("%s: %d acquisitions predicted with model %s", area.name, len(scenes), bundle["digest"])
