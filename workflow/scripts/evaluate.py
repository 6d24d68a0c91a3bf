"""Test-area metrics of the predicted NDVI against Planet NDVI, beside trivial baselines."""

import json

import numpy as np
import pandas as pd
import rasterio

from sar2ndvi.io import write_json
from sar2ndvi.metrics import evaluate
from sar2ndvi.runlog import configure

log = configure(snakemake.log[0])
with rasterio.open(snakemake.input.prediction) as src:
    prediction = src.read().astype(np.float32)
    band_scenes = json.loads(src.tags()["scenes"])
test = np.load(snakemake.input.test)
finetune = np.load(snakemake.input.finetune)
test_pairs = pd.read_csv(snakemake.input.test_pairs, dtype={"ndvi_date": str})
finetune_pairs = pd.read_csv(snakemake.input.finetune_pairs, dtype={"ndvi_date": str})

# Baseline 1: one value, the mean training-area NDVI over all fine-tuning targets.
train_mean = float(np.nanmean(finetune["y"][finetune["mask"] > 0]))
# Baseline 2: the training area's mean NDVI on the same date (an oracle on the date's mean level).
per_date_mean = {}
for k, pair in enumerate(finetune["pair_index"]):
    date = finetune_pairs["ndvi_date"].iloc[pair]
    per_date_mean.setdefault(date, []).append(finetune["y"][k][finetune["mask"][k] > 0])
per_date_mean = {d: float(np.concatenate(v).mean()) for d, v in per_date_mean.items()}

preds, baseline_const, baseline_date, targets, masks, rows = [], [], [], [], [], []
for k, pair in enumerate(test["pair_index"]):
    scene = test_pairs["scene"].iloc[pair]
    date = test_pairs["ndvi_date"].iloc[pair]
    band = band_scenes.index(scene)
    target, mask = test["y"][k, 0], test["mask"][k, 0] > 0
    pred = prediction[band]
    preds.append(pred)
    targets.append(target)
    masks.append(mask)
    baseline_const.append(np.full_like(target, train_mean))
    baseline_date.append(np.full_like(target, per_date_mean.get(date, train_mean)))
    rows.append({"scene": scene, "ndvi_date": date, **evaluate(pred, target, mask)})

stack = np.stack
metrics = {
    "area": "test",
    "reference": "Planet NDVI, farm pixels",
    "pairs": len(rows),
    "pixels": int(stack(masks).sum()),
    "model": evaluate(stack(preds), stack(targets), stack(masks)),
    "baselines": {
        "training_mean": evaluate(stack(baseline_const), stack(targets), stack(masks)),
        "training_area_mean_same_date": evaluate(stack(baseline_date), stack(targets), stack(masks)),
    },
    "per_date": rows,
}
write_json(snakemake.output[0], metrics)
log.info(
    "test MSE %.5f (training-mean baseline %.5f, same-date training-area mean %.5f) over %d pairs",
    metrics["model"]["mse"],
    metrics["baselines"]["training_mean"]["mse"],
    metrics["baselines"]["training_area_mean_same_date"]["mse"],
    len(rows),
)
