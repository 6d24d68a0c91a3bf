"""Baseline: random forest on per-field SAR statistics (Pelta et al., 2022), field-mean NDVI."""

import numpy as np

from sar2ndvi.baselines import FieldForest
from sar2ndvi.grid import AreaGrid
from sar2ndvi.indexes import CHANNEL_NAMES
from sar2ndvi.io import read_raster, write_json
from sar2ndvi.metrics import evaluate
from sar2ndvi.runlog import configure
from sar2ndvi.variants import channel_positions

log = configure(snakemake.log[0])
settings = snakemake.params.settings
study = AreaGrid.read(snakemake.input.study_grid)


def load(split):
    data = np.load(snakemake.input[split])
    area = AreaGrid.read(snakemake.input[f"{split}_grid"])
    parcels = read_raster(snakemake.input.parcels, study)[0]
    row, col, rows, cols = study.window_of(area)
    keep = channel_positions(list(data["channel_names"]), CHANNEL_NAMES)
    return data["x"][:, keep], data["y"], data["mask"], parcels[row : row + rows, col : col + cols].astype(np.int64)


forest = FieldForest(
    trees=settings["trees"], min_samples_leaf=settings["min_samples_leaf"], seed=settings["seed"],
    threads=snakemake.threads,
).fit(*load("train"))  # fmt: skip
result = {"method": "Per-field random forest", "trees": settings["trees"]}
for split in ("validation", "test"):
    x, y, mask, parcels = load(split)
    prediction = forest.predict(x, parcels)
    result[split] = evaluate(prediction, y[:, 0], mask[:, 0] > 0)
write_json(snakemake.output[0], result)
log.info("per-field random forest: test MSE %.5f", result["test"]["mse"])
