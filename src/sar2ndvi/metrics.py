"""NDVI accuracy on farm pixels: MSE, MAE, RMSE, PSNR, SSIM and Pearson r (the SEN12TP set).

Every metric uses only the pixels that are in the mask and finite in both prediction and target.
NDVI is dimensionless in [−1, 1]; MSE is in NDVI², MAE and RMSE in NDVI, PSNR in dB with
MAX = 2 (the width of the NDVI range, as in Roßberg & Schmitt 2023): PSNR = 10·log10(4 / MSE).

SSIM (scikit-image ``structural_similarity``, data range 2, uniform 7 × 7 windows) needs whole
images, while farms are scattered polygons. It is computed per image after replacing the
prediction's invalid pixels (non-farm, NaN) by the target, so that only farm pixels can make the two
images differ, and the local SSIM map is then averaged over the valid pixels only. Non-farm pixels
thus enter SSIM only as context of windows centred on farm pixels. Images smaller than the window
are skipped.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import numpy as np
from skimage.metrics import structural_similarity

NDVI_RANGE = 2.0
SSIM_WINDOW = 7
METRIC_NAMES: tuple[str, ...] = ("mse", "mae", "rmse", "psnr", "ssim", "pearson")


def valid_pixels(pred: np.ndarray, target: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray:
    """Boolean array: in the mask (if given) and finite in both ``pred`` and ``target``."""
    ok = np.isfinite(pred) & np.isfinite(target)
    if mask is not None:
        ok &= np.broadcast_to(np.asarray(mask, bool), ok.shape)
    return ok


def psnr_from_mse(mse: float, data_range: float = NDVI_RANGE) -> float:
    """Peak signal-to-noise ratio in dB, 10·log10(MAX² / MSE); inf for a perfect prediction."""
    if not np.isfinite(mse):
        return float("nan")
    return float(10.0 * np.log10(data_range**2 / mse)) if mse > 0 else float("inf")


def pearson(a: np.ndarray, b: np.ndarray) -> float:
    """Pearson correlation of two 1-D samples; NaN if either is constant or has < 2 values."""
    a = np.asarray(a, np.float64)
    b = np.asarray(b, np.float64)
    if a.size < 2 or np.ptp(a) == 0 or np.ptp(b) == 0:
        return float("nan")
    return float(np.corrcoef(a, b)[0, 1])


def ssim(pred: np.ndarray, target: np.ndarray, mask: np.ndarray | None = None) -> float:
    """Mean local SSIM over the valid pixels of one or more (…, rows, cols) NDVI images.

    See the module docstring for how non-farm pixels are handled.
    """
    pred = np.asarray(pred, np.float64)
    target = np.asarray(target, np.float64)
    ok = valid_pixels(pred, target, mask)
    shape = pred.shape[-2:]
    values = []
    for p, t, o in zip(pred.reshape(-1, *shape), target.reshape(-1, *shape), ok.reshape(-1, *shape), strict=True):
        if not o.any() or min(shape) < SSIM_WINDOW:
            continue
        # outside the valid pixels both images hold the same (finite) values: no differences there
        t_filled = np.where(np.isfinite(t), t, 0.0)
        p_filled = np.where(o, p, t_filled)
        _, local = structural_similarity(t_filled, p_filled, data_range=NDVI_RANGE, win_size=SSIM_WINDOW, full=True)
        values.append(local[o])
    return float(np.concatenate(values).mean()) if values else float("nan")


def evaluate(pred: np.ndarray, target: np.ndarray, mask: np.ndarray | None = None) -> dict[str, float]:
    """All metrics over the valid pixels of NDVI arrays (rows, cols) or (N, rows, cols).

    Args:
        pred: predicted NDVI.
        target: reference NDVI (NaN = no valid observation).
        mask: True/1 on farm pixels; None = every pixel.

    Returns:
        ``mse`` (NDVI²), ``mae``, ``rmse`` (NDVI), ``psnr`` (dB, MAX = 2), ``ssim``, ``pearson``
        and ``pixels`` (count of valid pixels); NaN metrics when no pixel is valid.
    """
    pred = np.asarray(pred, np.float64)
    target = np.asarray(target, np.float64)
    if pred.shape != target.shape:
        raise ValueError(f"prediction {pred.shape} and target {target.shape} differ in shape")
    ok = valid_pixels(pred, target, mask)
    n = int(ok.sum())
    if n == 0:
        return {**dict.fromkeys(METRIC_NAMES, float("nan")), "pixels": 0}
    diff = pred[ok] - target[ok]
    mse = float(np.mean(diff**2))
    return {
        "mse": mse,
        "mae": float(np.mean(np.abs(diff))),
        "rmse": float(np.sqrt(mse)),
        "psnr": psnr_from_mse(mse),
        "ssim": ssim(pred, target, mask),
        "pearson": pearson(pred[ok], target[ok]),
        "pixels": n,
    }


def evaluate_per_date(
    pred: np.ndarray,
    target: np.ndarray,
    mask: np.ndarray | None,
    dates: Sequence[str],
) -> list[dict]:
    """:func:`evaluate` per date over stacks (N, rows, cols); images sharing a date are pooled.

    Args:
        pred, target: NDVI stacks (N, rows, cols).
        mask: farm mask (rows, cols) or (N, rows, cols); None = every pixel.
        dates: N labels (e.g. ISO dates), one per image.

    Returns:
        one dict per distinct date, in order of first appearance, with ``date`` and the metrics.
    """
    pred = np.asarray(pred)
    target = np.asarray(target)
    if len(dates) != len(pred):
        raise ValueError(f"{len(dates)} dates for {len(pred)} images")
    if mask is not None:
        mask = np.broadcast_to(np.asarray(mask, bool), pred.shape)
    rows = []
    for date in dict.fromkeys(dates):
        idx = [i for i, d in enumerate(dates) if d == date]
        rows.append({"date": date, **evaluate(pred[idx], target[idx], None if mask is None else mask[idx])})
    return rows


def summarise(rows: Iterable[Mapping[str, float]]) -> dict[str, float]:
    """Unweighted mean over per-date rows of each metric (NaNs and infinite PSNRs skipped).

    This weights every date equally, unlike :func:`evaluate` on the pooled pixels, which weights
    dates by their number of valid pixels; ``dates`` counts the rows that had any valid pixel.
    """
    rows = [r for r in rows if r.get("pixels", 0) > 0]
    out: dict[str, float] = {}
    for name in METRIC_NAMES:
        values = np.array([r[name] for r in rows], np.float64)
        values = values[np.isfinite(values)]
        out[name] = float(values.mean()) if values.size else float("nan")
    out["dates"] = len(rows)
    return out


def constant_prediction(value: float, shape: tuple[int, ...]) -> np.ndarray:
    """A float32 NDVI array of ``shape`` filled with ``value`` (a trivial baseline)."""
    return np.full(shape, value, dtype=np.float32)
