"""The method against its baselines on the test area (farm pixels, Planet NDVI)."""

import json

import pandas as pd

from sar2ndvi.io import atomic_path
from sar2ndvi.runlog import configure

log = configure(snakemake.log[0])
METRICS = ("mse", "mae", "rmse", "psnr", "ssim", "pearson")


def read(path):
    return json.loads(open(path).read())


rows = []
for key, label in snakemake.params.models.items():
    test, validation = read(snakemake.input[f"{key}_test"]), read(snakemake.input[f"{key}_validation"])
    rows.append({"method": label, "area": "test", **{m: test[m] for m in METRICS}, "validation_mse": validation["mse"]})
for key in ("rvi", "forest"):
    result = read(snakemake.input[key])
    rows.append(
        {
            "method": result["method"],
            "area": "test",
            **{m: result["test"][m] for m in METRICS},
            "validation_mse": result["validation"]["mse"],
        }
    )
trivial = read(snakemake.input.metrics)["baselines"]
for key, label in (
    ("training_mean", "Training-area mean NDVI"),
    ("training_area_mean_same_date", "Same-date training-area mean"),
):
    rows.append({"method": label, "area": "test", **{m: trivial[key][m] for m in METRICS}, "validation_mse": None})
table = pd.DataFrame(rows)
method_mse = table["mse"].iloc[0]
best = table.iloc[1:]["mse"].min()
table["mse_vs_method"] = table["mse"] / method_mse
with atomic_path(snakemake.output[0], suffix=".csv") as tmp:
    table.to_csv(tmp, index=False, float_format="%.6f")
log.info("baselines (test):\n%s", table[["method", "mse", "ssim", "pearson"]].to_string())
log.info("the method's MSE is %.1f %% below the best baseline's", 100 * (1 - method_mse / best))
