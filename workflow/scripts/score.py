"""Metrics of one trained model on the whole-area images of a split (validation or test), farm pixels."""

import numpy as np

from sar2ndvi.io import write_json
from sar2ndvi.metrics import evaluate
from sar2ndvi.model import load_bundle, predict
from sar2ndvi.runlog import configure
from sar2ndvi.variants import channel_positions

log = configure(snakemake.log[0])
w = snakemake.wildcards
data = np.load(snakemake.input.data)
bundle = load_bundle(snakemake.input.model)
keep = channel_positions(list(data["channel_names"]), bundle["channel_names"])
tta = w.tta == "tta"
prediction = predict(
    bundle, data["x"][:, keep], tta=tta, device=snakemake.config["model"]["device"], threads=snakemake.threads
)
metrics = evaluate(prediction, data["y"][:, 0], data["mask"][:, 0] > 0)
write_json(
    snakemake.output[0],
    {"variant": w.variant, "stage": w.stage, "test_time_augmentation": tta, "split": w.split, **metrics},
)
log.info("%s %s (%s) on %s: MSE %.5f", w.variant, w.stage, w.tta, w.split, metrics["mse"])
