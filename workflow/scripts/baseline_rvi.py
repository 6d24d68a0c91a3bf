"""Baseline: per-pixel linear regression of NDVI on RVI, fitted on the training area's Planet pairs."""

import numpy as np

from sar2ndvi.baselines import fit_rvi_regression
from sar2ndvi.io import write_json
from sar2ndvi.metrics import evaluate
from sar2ndvi.runlog import configure

log = configure(snakemake.log[0])
train = np.load(snakemake.input.train)
rvi_of = {name: list(np.load(path)["channel_names"]).index("RVI") for name, path in snakemake.input.items()}
fit = fit_rvi_regression(train["x"][:, rvi_of["train"]], train["y"][:, 0], train["mask"][:, 0] > 0)
result = {"method": "RVI linear regression", "fit": fit.to_dict()}
for split in ("validation", "test"):
    data = np.load(snakemake.input[split])
    prediction = fit.apply(data["x"][:, rvi_of[split]])
    result[split] = evaluate(prediction, data["y"][:, 0], data["mask"][:, 0] > 0)
write_json(snakemake.output[0], result)
log.info("NDVI ≈ %.3f · RVI + %.3f (r² %.3f); test MSE %.5f", fit.slope, fit.intercept, fit.r2, result["test"]["mse"])
