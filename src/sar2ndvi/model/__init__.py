"""NDVI-from-SAR networks: pix2pix (U-Net generator + PatchGAN) and the SEN12TP U-Net."""

from sar2ndvi.model.augment import augment_batch, predict_with_tta
from sar2ndvi.model.networks import PatchDiscriminator, Sen12tpUNet, UNetGenerator, build_generator
from sar2ndvi.model.predict import load_bundle, predict
from sar2ndvi.model.train import TrainConfig, fit_normalisation, save_bundle, train_model

__all__ = [
    "PatchDiscriminator",
    "Sen12tpUNet",
    "TrainConfig",
    "UNetGenerator",
    "augment_batch",
    "build_generator",
    "fit_normalisation",
    "load_bundle",
    "predict",
    "predict_with_tta",
    "save_bundle",
    "train_model",
]
