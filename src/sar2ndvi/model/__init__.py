"""NDVI-from-SAR networks: pix2pix (U-Net generator + PatchGAN) and the SEN12TP U-Net.

:mod:`~sar2ndvi.model.train` trains them (:class:`Trainer`), :mod:`~sar2ndvi.model.checkpoint`
holds a trained model (:class:`Checkpoint`), :mod:`~sar2ndvi.model.predict` applies it.
"""

from sar2ndvi.model.augment import augment_batch, predict_with_tta
from sar2ndvi.model.checkpoint import Checkpoint, Normalisation
from sar2ndvi.model.networks import PatchDiscriminator, Sen12tpUNet, UNetGenerator, build_generator
from sar2ndvi.model.predict import predict
from sar2ndvi.model.train import EarlyStopping, TrainConfig, Trainer, train_model

__all__ = [
    "Checkpoint",
    "EarlyStopping",
    "Normalisation",
    "PatchDiscriminator",
    "Sen12tpUNet",
    "TrainConfig",
    "Trainer",
    "UNetGenerator",
    "augment_batch",
    "build_generator",
    "predict",
    "predict_with_tta",
    "train_model",
]
