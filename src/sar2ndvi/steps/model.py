"""Model steps: train one model of a variant, predict NDVI over an area, score a model on a split."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from sar2ndvi.steps.job import as_paths

log = logging.getLogger(__name__)

#: acquisitions predicted and written at a time: memory stays flat in the number of scenes
SCENES_PER_CHUNK = 16


def train(
    variant_name: str,
    stage: str,
    train_data: str | Path,
    out_model: str | Path,
    out_history: str | Path,
    settings: Mapping[str, Any],
    validation_data: str | Path | Sequence[str] = (),
    init: str | Path | Sequence[str] = (),
    threads: int = 1,
    device: str = "auto",
) -> None:
    """Train the ``stage`` model of a variant: pre-training, fine-tuning from ``init``, or fine-tuning from scratch.

    Args:
        settings: the ``model`` settings that the weights depend on (the schedules, the architecture).
        validation_data: the validation samples that early stopping watches (not for pre-training).
        init: the pre-trained model that fine-tuning starts from.
        threads, device: where the weights are computed; they do not change them.
    """
    import pandas as pd

    from sar2ndvi.dataset import load_samples
    from sar2ndvi.io import atomic_path
    from sar2ndvi.model import Checkpoint, TrainConfig, train_model
    from sar2ndvi.variants import ModelVariant

    variant = ModelVariant.parse(variant_name)
    model = {**settings, "threads": threads, "device": device}

    def load(path):
        data = load_samples(path, variant.channels)
        return {"x": data["x"], "y": data["y"], "mask": data["mask"]}

    samples = load(train_data)
    validation_paths = as_paths(validation_data)
    validation = load(validation_paths[0]) if validation_paths else None
    epochs = model["pretrain_epochs"] if stage == "pretrain" else model["finetune_epochs"]
    # The paper trains a fixed schedule before fine-tuning and stops fine-tuning early on validation MSE.
    cfg = TrainConfig.from_config(
        {**model, "family": variant.family, "train_augmentation": variant.train_augmentation, "seed": variant.seed},
        epochs=epochs,
        early_stopping=stage != "pretrain",
    )
    cfg.steps_per_epoch = model["pretrain_steps_per_epoch" if stage == "pretrain" else "finetune_steps_per_epoch"]
    initial = Checkpoint.load(as_paths(init)[0]) if stage == "finetune" else None
    log.info(
        "%s %s: %d samples %s, %d validation images, up to %d epochs%s",
        variant.name,
        stage,
        len(samples["x"]),
        samples["x"].shape[1:],
        len(validation["x"]) if validation else 0,
        epochs,
        ", initialised from the pre-trained model" if initial else "",
    )
    progress = logging.getLogger("train")

    def report(record):
        progress.info(
            "%s %s epoch %d/%d: G %.4f, D %.4f, L1 %.4f, validation MSE %.5f (%.1f s)",
            variant.name,
            stage,
            record["epoch"],
            epochs,
            record["loss_g"],
            record["loss_d"],
            record["l1"],
            record.get("val_mse", float("nan")),
            record["seconds"],
        )

    trained = train_model(cfg, samples, validation, init=initial, report=report, channel_names=variant.channels)
    trained = trained.with_(stage=stage, variant=variant.name)
    trained.save(out_model)
    with atomic_path(out_history, suffix=".csv") as tmp:
        pd.DataFrame(list(trained.history)).to_csv(tmp, index=False)
    log.info(
        "%s %s model %s written (epoch %d of %d)",
        variant.name,
        stage,
        trained.digest,
        trained.best_epoch,
        len(trained.history),
    )


def predict(
    models: Sequence[str],
    indexes: Sequence[str],
    scenes: Mapping[str, Sequence[Any]],
    heights: str | Path,
    mask: str | Path,
    grid: str | Path,
    study_grid: str | Path,
    out: str | Path,
    tta: bool,
    ensemble: bool,
    device: str = "auto",
    threads: int = 1,
) -> None:
    """NDVI of every acquisition of ``scenes`` over the area of ``grid``: one model, or an ensemble's mean and spread.

    Args:
        indexes: index rasters on the study grid, one per scene, in the order of ``scenes``.
        scenes: the acquisitions (columns ``scene`` and ``start``, UTC).
        tta: test-time augmentation.
        ensemble: write ``"<time> mean"`` and ``"<time> std"`` bands of the models, else one band per acquisition.
    """
    import pandas as pd

    from sar2ndvi.dataset import static_layers
    from sar2ndvi.grid import AreaGrid
    from sar2ndvi.io import gdal_block_cache, raster_bands, read_raster
    from sar2ndvi.model import Checkpoint
    from sar2ndvi.model import predict as run_model
    from sar2ndvi.variants import DATASET_CHANNELS, channel_positions

    # GDAL's block cache would otherwise fill with every acquisition read, and the job's memory grow
    # with the length of the study
    with gdal_block_cache():
        study = AreaGrid.read(study_grid)
        area = AreaGrid.read(grid)
        rows, cols = area.shape
        farm = read_raster(mask, area)[0] > 0
        table = pd.DataFrame(dict(scenes))
        static = static_layers(read_raster(heights, study, area)[0], farm)
        paths = as_paths(indexes)

        def inputs(k: int) -> np.ndarray:
            return np.concatenate([read_raster(paths[k], study, area), static])

        # an acquisition with no SAR value on the area's farms would be a band of NaN: left out, and said
        where = farm if farm.any() else np.ones(farm.shape, bool)
        empty = np.array([not np.isfinite(inputs(k)).all(axis=0)[where].any() for k in range(len(paths))], bool)
        if empty.any():
            log.warning(
                "%s: %d acquisition(s) without a valid SAR value on the area left out: %s",
                area.name,
                int(empty.sum()),
                ", ".join(table.loc[empty, "scene"]),
            )
        left_out = list(table.loc[empty, "scene"])
        kept = np.flatnonzero(~empty)
        table = table.loc[kept].reset_index(drop=True)
        if not len(kept):
            raise ValueError(f"{grid}: none of the {len(empty)} acquisitions has a valid SAR value on the area's farms")
        checkpoints = [Checkpoint.load(path) for path in as_paths(models)]
        digests = [c.digest for c in checkpoints]
        positions = [channel_positions(DATASET_CHANNELS, c.channel_names) for c in checkpoints]
        times = [pd.Timestamp(t).isoformat() for t in table["start"]]
        per_scene = 2 if ensemble else 1
        # "<time> mean" and "<time> std" of the members per acquisition, else one band per acquisition
        names = [f"{t} {stat}" for t in times for stat in ("mean", "std")] if ensemble else times
        tags = {
            "scenes": json.dumps(list(table["scene"])),
            **({"scenes_without_data": json.dumps(left_out)} if left_out else {}),
            "models": json.dumps(digests),
            "units": "NDVI",
            "test_time_augmentation": str(tta),
            "ensemble_members": str(len(digests)),
            "area": area.name,
        }
        # a few acquisitions at a time, so that memory does not grow with the length of the study (an
        # image's prediction does not depend on the others in its batch: sar2ndvi.model.predict)
        with raster_bands(out, area, len(kept) * per_scene, names, tags, cog=True) as put:
            for first in range(0, len(kept), SCENES_PER_CHUNK):
                chunk = kept[first : first + SCENES_PER_CHUNK]
                x = np.stack([inputs(k) for k in chunk])
                no_data = ~np.isfinite(x).all(axis=1)
                members = np.stack(
                    [
                        run_model(c, x[:, keep], tta=tta, device=device, threads=threads)
                        for c, keep in zip(checkpoints, positions, strict=True)
                    ]
                )
                if ensemble:
                    bands = np.stack([members.mean(axis=0), members.std(axis=0)], axis=1).reshape(-1, rows, cols)
                    band_no_data = np.repeat(no_data, 2, axis=0)
                else:
                    bands, band_no_data = members[0], no_data
                bands[:, ~farm] = np.nan
                bands[band_no_data] = np.nan
                put(first * per_scene, bands)
    log.info("%s: %d acquisitions predicted with %d model(s) %s", area.name, len(table), len(digests), digests)


def score(
    model: str | Path,
    data: str | Path,
    out: str | Path,
    variant: str,
    stage: str,
    split: str,
    tta: bool,
    device: str = "auto",
    threads: int = 1,
) -> None:
    """Metrics of one trained model on the whole-area images of a split (validation or test), farm pixels."""
    from sar2ndvi.dataset import load_samples
    from sar2ndvi.io import write_json
    from sar2ndvi.metrics import evaluate
    from sar2ndvi.model import Checkpoint
    from sar2ndvi.model import predict as run_model

    checkpoint = Checkpoint.load(model)
    samples = load_samples(data, checkpoint.channel_names)
    prediction = run_model(checkpoint, samples["x"], tta=tta, device=device, threads=threads)
    metrics = evaluate(prediction, samples["y"][:, 0], samples["mask"][:, 0] > 0)
    write_json(out, {"variant": variant, "stage": stage, "test_time_augmentation": tta, "split": split, **metrics})
    log.info("%s %s (%s) on %s: MSE %.5f", variant, stage, "tta" if tta else "notta", split, metrics["mse"])
