"""Inference with a trained model bundle, optionally with test-time augmentation."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from sar2ndvi.model.augment import predict_with_tta
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


def predict(bundle: dict, x: np.ndarray, tta: bool = True, device: str = "auto", batch: int = 8) -> np.ndarray:
    """NDVI (N, H, W) float32 in [−1, 1] from raw SAR channels ``x`` (N, C, H, W), whole images."""
    cfg = bundle["config"]
    if x.shape[1] != bundle["channels"]:
        raise ValueError(f"the model expects {bundle['channels']} channels, got {x.shape[1]}")
    torch.set_num_threads(cfg.get("threads", 2))
    dev = resolve_device(device)
    generator = build_generator(cfg["family"], bundle["channels"], cfg["depth"], cfg["base_filters"])
    generator.load_state_dict(bundle["generator"])
    generator.to(dev).eval()
    norm = normaliser(bundle["normalisation"])

    def model(inputs: torch.Tensor) -> torch.Tensor:
        return generator(inputs.to(dev)).cpu()

    out = []
    with torch.no_grad():
        for i in range(0, len(x), batch):
            raw = torch.from_numpy(np.ascontiguousarray(x[i : i + batch])).float()
            pred = predict_with_tta(model, raw, norm) if tta else model(norm(raw))
            out.append(pred[:, 0].numpy())
    return np.concatenate(out).astype(np.float32) if out else np.zeros((0, *x.shape[-2:]), np.float32)
