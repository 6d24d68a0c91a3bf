"""Train one model of a variant: pre-training (S1 → regression-corrected S2 NDVI), fine-tuning from it
(S1 → Planet NDVI), or the same fine-tuning from scratch."""

import logging

import numpy as np
import pandas as pd

from sar2ndvi.model import TrainConfig, load_bundle, save_bundle, train_model
from sar2ndvi.runlog import configure
from sar2ndvi.variants import ModelVariant, channel_positions

log = configure(snakemake.log[0])
stage = snakemake.wildcards.stage
variant = ModelVariant.parse(snakemake.wildcards.variant)
# what the weights depend on comes as params; where and with how many threads they are computed, from the config
model = {**snakemake.params.settings, **{key: snakemake.config["model"][key] for key in ("threads", "device")}}


def load(path):
    data = np.load(path)
    keep = channel_positions(list(data["channel_names"]), variant.channels)
    return {"x": data["x"][:, keep], "y": data["y"], "mask": data["mask"]}


train = load(snakemake.input.train)
validation = load(snakemake.input.validation[0]) if snakemake.input.validation else None
epochs = model["pretrain_epochs"] if stage == "pretrain" else model["finetune_epochs"]
# The paper trains a fixed schedule before fine-tuning and stops fine-tuning early on validation MSE.
cfg = TrainConfig.from_config(
    {**model, "family": variant.family, "train_augmentation": variant.train_augmentation, "seed": variant.seed},
    epochs=epochs,
    early_stopping=stage != "pretrain",
)
cfg.steps_per_epoch = model["pretrain_steps_per_epoch" if stage == "pretrain" else "finetune_steps_per_epoch"]
init = load_bundle(snakemake.input.init[0]) if stage == "finetune" else None
log.info(
    "%s %s: %d samples %s, %d validation images, up to %d epochs%s",
    variant.name,
    stage,
    len(train["x"]),
    train["x"].shape[1:],
    len(validation["x"]) if validation else 0,
    epochs,
    ", initialised from the pre-trained model" if init else "",
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


bundle = train_model(cfg, train, validation, init=init, report=report, channel_names=list(variant.channels))
bundle["stage"] = stage
bundle["variant"] = variant.name
save_bundle(bundle, snakemake.output.model)
pd.DataFrame(bundle["history"]).to_csv(snakemake.output.history, index=False)
log.info("%s %s model %s written", variant.name, stage, bundle["digest"])
