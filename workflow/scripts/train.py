"""Pre-train (S1 → regression-corrected S2 NDVI) or fine-tune (S1 → Planet NDVI) the generator."""

import logging

import numpy as np
import pandas as pd

from sar2ndvi.model import TrainConfig, load_bundle, save_bundle, train_model
from sar2ndvi.runlog import configure

log = configure(snakemake.log[0])
stage = snakemake.params.stage
model = snakemake.params.model
data = {k: v for k, v in np.load(snakemake.input.train).items() if k in ("x", "y", "mask")}
validation = {k: v for k, v in np.load(snakemake.input.validation).items() if k in ("x", "y", "mask")}
epochs = model["pretrain_epochs"] if stage == "pretrain" else model["finetune_epochs"]
# The paper trains a fixed schedule before fine-tuning and stops fine-tuning early on validation MSE.
cfg = TrainConfig.from_config(model, epochs=epochs, early_stopping=stage == "finetune")
cfg.steps_per_epoch = model[f"{stage}_steps_per_epoch"]
init = load_bundle(snakemake.input.init) if stage == "finetune" else None
log.info(
    "%s: %d samples %s, %d validation images, %d epochs, %s",
    stage,
    len(data["x"]),
    data["x"].shape[1:],
    len(validation["x"]),
    epochs,
    cfg.family,
)


def report(record):
    logging.getLogger("train").info(
        "%s epoch %d: G %.4f, D %.4f, L1 %.4f, validation MSE %.5f (%.1f s)",
        stage,
        record["epoch"],
        record["loss_g"],
        record["loss_d"],
        record["l1"],
        record.get("val_mse", float("nan")),
        record["seconds"],
    )


bundle = train_model(cfg, data, validation, init=init, report=report)
bundle["stage"] = stage
save_bundle(bundle, snakemake.output.model)
pd.DataFrame(bundle["history"]).to_csv(snakemake.output.history, index=False)
log.info("%s model %s written", stage, bundle["digest"])
