"""Whole-area inference with a trained model bundle, optionally with test-time augmentation."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch
from torch import nn

from sar2ndvi.model.augment import TTA_FLIPS, TTA_VALUE_FACTORS, predict_with_tta
from sar2ndvi.model.networks import build_generator
from sar2ndvi.model.train import normaliser, resolve_device


def load_bundle(path: str | Path) -> dict:
    """Read a model bundle written by :func:`sar2ndvi.model.train.save_bundle`.

    Raises:
        ValueError: naming the file if it is not a model bundle.
    """
    bundle = torch.load(path, map_location="cpu", weights_only=False)
    if not isinstance(bundle, dict) or "generator" not in bundle:
        raise ValueError(f"{path}: not a sar2ndvi model bundle; retrain it with the workflow")
    return bundle


load_model = load_bundle


def generator_of(bundle: dict) -> nn.Module:
    """The bundle's generator with its weights, in eval mode, on the CPU."""
    cfg = bundle["config"]
    generator = build_generator(
        cfg["family"], bundle["channels"], cfg["depth"], cfg["base_filters"], cfg.get("norm", "instance")
    )
    generator.load_state_dict(bundle["generator"])
    return generator.eval()


def predict(
    bundle: dict,
    x: np.ndarray,
    tta: bool = True,
    device: str = "auto",
    batch: int = 8,
    flips: Sequence[tuple[int, ...]] = TTA_FLIPS,
    factors: Sequence[float] = TTA_VALUE_FACTORS,
) -> np.ndarray:
    """NDVI (N, H, W) float32 in [−1, 1] from raw channels ``x`` (N, C, H, W) of whole areas.

    Args:
        bundle: a model bundle (:func:`load_bundle` or :func:`sar2ndvi.model.train.train_model`).
        x: raw SAR channels in the bundle's channel order; NaN = no data (the prediction there is
            made from the normalised value 0 and should be masked by the caller).
        tta: average over flips × value factors (:func:`sar2ndvi.model.augment.predict_with_tta`).
        device: ``auto``, ``cpu``, ``cuda`` …
        batch: images per forward pass.
        flips, factors: the test-time augmentations.
    """
    x = np.asarray(x)
    if x.ndim != 4 or x.shape[1] != bundle["channels"]:
        raise ValueError(f"expected (N, {bundle['channels']}, H, W) channels, got {x.shape}")
    dev = resolve_device(device)
    generator = generator_of(bundle).to(dev)
    norm = normaliser(bundle["normalisation"])
    previous_threads = torch.get_num_threads()
    torch.set_num_threads(bundle["config"].get("threads", previous_threads))

    out = []
    try:
        with torch.no_grad():
            for i in range(0, len(x), batch):
                inputs = norm(torch.from_numpy(np.ascontiguousarray(x[i : i + batch], dtype=np.float32)))
                # the flips and factors run where the model runs: one transfer each way per batch
                inputs = inputs.to(dev)
                pred = predict_with_tta(generator, inputs, flips, factors) if tta else generator(inputs)
                out.append(pred[:, 0].cpu().numpy())
    finally:
        torch.set_num_threads(previous_threads)
    return np.concatenate(out).astype(np.float32) if out else np.zeros((0, *x.shape[-2:]), np.float32)
