"""NDVI of every Sentinel-1 acquisition over one area: one model, or the mean and spread of an ensemble."""

import json

import numpy as np
import pandas as pd

from sar2ndvi.grid import AreaGrid
from sar2ndvi.io import read_raster, write_raster
from sar2ndvi.model import load_bundle, predict
from sar2ndvi.runlog import configure
from sar2ndvi.variants import DATASET_CHANNELS, channel_positions

log = configure(snakemake.log[0])
p = snakemake.params
study = AreaGrid.read(snakemake.input.study_grid)
area = AreaGrid.read(snakemake.input.grid)
row, col, rows, cols = study.window_of(area)
window = (slice(None), slice(row, row + rows), slice(col, col + cols))
farm = read_raster(snakemake.input.mask, area)[0] > 0
scenes = pd.DataFrame(p.scenes)
# the static layers of DATASET_CHANNELS: height (m), farm parcel (0/1)
static = np.concatenate([read_raster(snakemake.input.dem, study)[window], farm[np.newaxis].astype(np.float32)])
x = np.stack([np.concatenate([read_raster(path, study)[window], static]) for path in snakemake.input.indexes])
no_data = ~np.isfinite(x).all(axis=1)

members, digests = [], []
for path in snakemake.input.models:
    bundle = load_bundle(path)
    keep = channel_positions(DATASET_CHANNELS, bundle["channel_names"])
    members.append(
        predict(bundle, x[:, keep], tta=p.tta, device=snakemake.config["model"]["device"], threads=snakemake.threads)
    )
    digests.append(bundle["digest"])
members = np.stack(members)
times = [pd.Timestamp(t).isoformat() for t in scenes["start"]]
if p.ensemble:
    # mean and spread of the members, interleaved per acquisition: "<time> mean", "<time> std"
    bands = np.stack([members.mean(axis=0), members.std(axis=0)], axis=1).reshape(-1, rows, cols)
    names = [f"{t} {stat}" for t in times for stat in ("mean", "std")]
    band_no_data = np.repeat(no_data, 2, axis=0)
else:
    bands, names, band_no_data = members[0], times, no_data
bands[:, ~farm] = np.nan
bands[band_no_data] = np.nan
write_raster(
    snakemake.output[0],
    bands,
    area,
    names,
    {
        "scenes": json.dumps(list(scenes["scene"])),
        "models": json.dumps(digests),
        "units": "NDVI",
        "test_time_augmentation": str(p.tta),
        "ensemble_members": str(len(digests)),
        "area": area.name,
    },
    cog=True,
)
log.info("%s: %d acquisitions predicted with %d model(s) %s", area.name, len(scenes), len(digests), digests)
