"""Evaluation steps: test-area metrics, the baselines, Table 3 (the ablation) and the baselines table."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from sar2ndvi.io import atomic_path, write_json

log = logging.getLogger(__name__)
METRICS = ("mse", "mae", "rmse", "psnr", "ssim", "pearson")


def _read_json(path: str | Path) -> dict:
    return json.loads(Path(path).read_text())


def evaluate(
    prediction: str | Path,
    test: str | Path,
    test_pairs: str | Path,
    finetune: str | Path,
    finetune_pairs: str | Path,
    out: str | Path,
) -> None:
    """Metrics of the predicted NDVI against Planet NDVI on the test samples' farm pixels, beside trivial baselines."""
    import pandas as pd
    import rasterio

    from sar2ndvi.baselines import same_date_means, training_mean
    from sar2ndvi.metrics import evaluate as metrics_of

    with rasterio.open(prediction) as src:
        predicted = src.read().astype(np.float32)
        band_scenes = json.loads(src.tags()["scenes"])
    test_samples = np.load(test)
    train = np.load(finetune)
    test_table = pd.read_csv(test_pairs, dtype={"ndvi_date": str})
    train_table = pd.read_csv(finetune_pairs, dtype={"ndvi_date": str})
    mean = training_mean(train["y"], train["mask"])
    date_mean = same_date_means(train["y"], train["mask"], train["pair_index"], list(train_table["ndvi_date"]))
    preds, constant, same_date, targets, masks, rows = [], [], [], [], [], []
    for k, pair in enumerate(test_samples["pair_index"]):
        scene = test_table["scene"].iloc[pair]
        date = test_table["ndvi_date"].iloc[pair]
        if scene not in band_scenes:
            log.warning("%s: left out of the prediction (no valid SAR value on the area); not scored", scene)
            continue
        target, mask = test_samples["y"][k, 0], test_samples["mask"][k, 0] > 0
        pred = predicted[band_scenes.index(scene)]
        preds.append(pred)
        targets.append(target)
        masks.append(mask)
        constant.append(np.full_like(target, mean))
        same_date.append(np.full_like(target, date_mean.get(date, mean)))
        rows.append({"scene": scene, "ndvi_date": date, **metrics_of(pred, target, mask)})
    stack = np.stack
    metrics = {
        "area": "test",
        "reference": "Planet NDVI, farm pixels",
        "pairs": len(rows),
        "pixels": int(stack(masks).sum()),
        "model": metrics_of(stack(preds), stack(targets), stack(masks)),
        "baselines": {
            "training_mean": metrics_of(stack(constant), stack(targets), stack(masks)),
            "training_area_mean_same_date": metrics_of(stack(same_date), stack(targets), stack(masks)),
        },
        "per_date": rows,
    }
    write_json(out, metrics)
    log.info(
        "test MSE %.5f (training-mean baseline %.5f, same-date training-area mean %.5f) over %d pairs",
        metrics["model"]["mse"],
        metrics["baselines"]["training_mean"]["mse"],
        metrics["baselines"]["training_area_mean_same_date"]["mse"],
        len(rows),
    )


def rvi_baseline(train: str | Path, validation: str | Path, test: str | Path, out: str | Path) -> None:
    """Per-pixel linear regression of NDVI on RVI, fitted on the training area's Planet pairs."""
    from sar2ndvi.baselines import fit_rvi_regression
    from sar2ndvi.dataset import load_samples
    from sar2ndvi.metrics import evaluate as metrics_of

    splits = {"train": train, "validation": validation, "test": test}
    samples = load_samples(train, ["RVI"])
    fit = fit_rvi_regression(samples["x"][:, 0], samples["y"][:, 0], samples["mask"][:, 0] > 0)
    result = {"method": "RVI linear regression", "fit": fit.to_dict()}
    for split in ("validation", "test"):
        data = load_samples(splits[split], ["RVI"])
        result[split] = metrics_of(fit.apply(data["x"][:, 0]), data["y"][:, 0], data["mask"][:, 0] > 0)
    write_json(out, result)
    log.info(
        "NDVI ≈ %.3f · RVI + %.3f (r² %.3f); test MSE %.5f", fit.slope, fit.intercept, fit.r2, result["test"]["mse"]
    )


def field_forest_baseline(
    samples: Mapping[str, str | Path],
    grids: Mapping[str, str | Path],
    parcels: str | Path,
    study_grid: str | Path,
    settings: Mapping[str, Any],
    out: str | Path,
    threads: int = 1,
) -> None:
    """Random forest on per-field SAR statistics (Pelta et al., 2022), predicting field-mean NDVI.

    ``samples`` and ``grids`` name the dataset and the area grid of ``train``, ``validation`` and ``test``.
    """
    from sar2ndvi.baselines import FieldForest
    from sar2ndvi.dataset import load_samples
    from sar2ndvi.grid import AreaGrid
    from sar2ndvi.indexes import CHANNEL_NAMES
    from sar2ndvi.io import read_raster
    from sar2ndvi.metrics import evaluate as metrics_of

    study = AreaGrid.read(study_grid)

    def load(split):
        data = load_samples(samples[split], CHANNEL_NAMES)
        ids = read_raster(parcels, study, AreaGrid.read(grids[split]))[0]
        return data["x"], data["y"], data["mask"], ids.astype(np.int64)

    forest = FieldForest(
        trees=settings["trees"], min_samples_leaf=settings["min_samples_leaf"], seed=settings["seed"], threads=threads
    ).fit(*load("train"))
    result = {"method": "Per-field random forest", "trees": settings["trees"]}
    for split in ("validation", "test"):
        x, y, mask, ids = load(split)
        result[split] = metrics_of(forest.predict(x, ids), y[:, 0], mask[:, 0] > 0)
    write_json(out, result)
    log.info("per-field random forest: test MSE %.5f", result["test"]["mse"])


def baseline_table(
    models: Mapping[str, str],
    scores: Mapping[str, str | Path],
    rvi: str | Path,
    forest: str | Path,
    metrics: str | Path,
    out: str | Path,
) -> None:
    """The method against its baselines on the test area (farm pixels, Planet NDVI), as CSV.

    Args:
        models: label of each model by key; ``scores`` holds ``<key>_test`` and ``<key>_validation``.
        rvi, forest: the baselines' results; metrics: the test metrics with the trivial baselines.
    """
    import pandas as pd

    rows = []
    for key, label in models.items():
        test, validation = _read_json(scores[f"{key}_test"]), _read_json(scores[f"{key}_validation"])
        rows.append(
            {"method": label, "area": "test", **{m: test[m] for m in METRICS}, "validation_mse": validation["mse"]}
        )
    for path in (rvi, forest):
        result = _read_json(path)
        rows.append(
            {
                "method": result["method"],
                "area": "test",
                **{m: result["test"][m] for m in METRICS},
                "validation_mse": result["validation"]["mse"],
            }
        )
    trivial = _read_json(metrics)["baselines"]
    for key, label in (
        ("training_mean", "Training-area mean NDVI"),
        ("training_area_mean_same_date", "Same-date training-area mean"),
    ):
        rows.append({"method": label, "area": "test", **{m: trivial[key][m] for m in METRICS}, "validation_mse": None})
    table = pd.DataFrame(rows)
    method_mse = table["mse"].iloc[0]
    best = table.iloc[1:]["mse"].min()
    table["mse_vs_method"] = table["mse"] / method_mse
    with atomic_path(out, suffix=".csv") as tmp:
        table.to_csv(tmp, index=False, float_format="%.6f")
    log.info("baselines (test):\n%s", table[["method", "mse", "ssim", "pearson"]].to_string())
    log.info("the method's MSE is %.1f %% below the best baseline's", 100 * (1 - method_mse / best))


def ablation_table(rows: Sequence[Mapping[str, Any]], scores: Mapping[str, str | Path], out: str | Path) -> None:
    """Table 3 of Kimura et al. (2023) on this study: validation (and test) MSE of the method and its ablations.

    ``scores`` holds ``<key>_validation`` and ``<key>_test`` for the ``key`` of each row.
    """
    import pandas as pd

    table_rows = []
    for row in rows:
        validation = _read_json(scores[f"{row['key']}_validation"])
        test = _read_json(scores[f"{row['key']}_test"])
        table_rows.append(
            {
                **{k: row[k] for k in ("method", "pre_training", "fine_tuning", "sar_indexes", "training_aug")},
                "test_time_aug": row["test_time_aug"],
                "validation_mse": validation["mse"],
                "test_mse": test["mse"],
                "paper_mse": row["paper_mse"],
                "model": f"{validation['variant']}/{validation['stage']}",
            }
        )
    table = pd.DataFrame(table_rows)
    with atomic_path(out, suffix=".csv") as tmp:
        table.to_csv(tmp, index=False, float_format="%.6f")
    log.info("ablation (validation MSE):\n%s", table[["method", "validation_mse", "test_mse", "paper_mse"]].to_string())
