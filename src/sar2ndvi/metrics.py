"""NDVI accuracy on farm pixels: MSE, MAE, RMSE, PSNR (MAX = 2), SSIM and Pearson r (SEN12TP's set).

Every metric uses only pixels that are in the mask and finite in both prediction and target. SSIM
(scikit-image, data range 2, 7-pixel windows) is computed per image with non-farm pixels of the
prediction replaced by the target, so that only farm pixels contribute differences, and averaged
over the farm pixels' local SSIM values.
"""

from __future__ import annotations

import numpy as np
from skimage.metrics import structural_similarity

NDVI_RANGE = 2.0


def _valid(pred: np.ndarray, target: np.ndarray, mask: np.ndarray | None) -> np.ndarray:
    ok = np.isfinite(pred) & np.isfinite(target)
    if mask is not None:
        ok &= np.asarray(mask, bool)
    return ok


def ssim(pred: np.ndarray, target: np.ndarray, mask: np.ndarray | None = None) -> float:
    """Mean local SSIM over valid pixels of one or more (…, rows, cols) images."""
    pred = np.asarray(pred, np.float64)
    target = np.asarray(target, np.float64)
    ok = _valid(pred, target, mask)
    images = pred.reshape(-1, *pred.shape[-2:])
    targets = target.reshape(-1, *target.shape[-2:])
    oks = ok.reshape(-1, *ok.shape[-2:])
    values = []
    for p, t, o in zip(images, targets, oks, strict=True):
        if o.sum() == 0 or min(p.shape) < 7:
            continue
        t_filled = np.where(np.isfinite(t), t, 0.0)
        p_filled = np.where(o, p, t_filled)
        _, local = structural_similarity(t_filled, p_filled, data_range=NDVI_RANGE, win_size=7, full=True)
        values.append(local[o])
    return float(np.concatenate(values).mean()) if values else float("nan")


def evaluate(pred: np.ndarray, target: np.ndarray, mask: np.ndarray | None = None) -> dict[str, float]:
    """MSE, MAE, RMSE, PSNR (dB, MAX = 2), SSIM, Pearson r and the pixel count over valid pixels."""
    pred = np.asarray(pred, np.float64)
    target = np.asarray(target, np.float64)
    ok = _valid(pred, target, mask)
    n = int(ok.sum())
    if n == 0:
        nan = float("nan")
        return {"mse": nan, "mae": nan, "rmse": nan, "psnr": nan, "ssim": nan, "pearson": nan, "pixels": 0}
    diff = pred[ok] - target[ok]
    mse = float(np.mean(diff**2))
    pearson = float(np.corrcoef(pred[ok], target[ok])[0, 1]) if n > 1 and np.ptp(pred[ok]) > 0 else float("nan")
    return {
        "mse": mse,
        "mae": float(np.mean(np.abs(diff))),
        "rmse": float(np.sqrt(mse)),
        "psnr": float(10 * np.log10(NDVI_RANGE**2 / mse)) if mse > 0 else float("inf"),
        "ssim": ssim(pred, target, mask),
        "pearson": pearson,
        "pixels": n,
    }
