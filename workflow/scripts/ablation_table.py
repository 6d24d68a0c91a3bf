"""Table 3 of Kimura et al. (2023) on this study: validation (and test) MSE of the method and its ablations."""

import json

import pandas as pd

from sar2ndvi.io import atomic_path
from sar2ndvi.runlog import configure

log = configure(snakemake.log[0])
rows = []
for row in snakemake.params.rows:
    validation = json.loads(open(snakemake.input[f"{row['key']}_validation"]).read())
    test = json.loads(open(snakemake.input[f"{row['key']}_test"]).read())
    rows.append(
        {
            **{k: row[k] for k in ("method", "pre_training", "fine_tuning", "sar_indexes", "training_aug")},
            "test_time_aug": row["test_time_aug"],
            "validation_mse": validation["mse"],
            "test_mse": test["mse"],
            "paper_mse": row["paper_mse"],
            "model": f"{validation['variant']}/{validation['stage']}",
        }
    )
table = pd.DataFrame(rows)
with atomic_path(snakemake.output[0], suffix=".csv") as tmp:
    table.to_csv(tmp, index=False, float_format="%.6f")
log.info("ablation (validation MSE):\n%s", table[["method", "validation_mse", "test_mse", "paper_mse"]].to_string())
