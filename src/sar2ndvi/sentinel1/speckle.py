"""Speckle filtering of σ0 in radar geometry: the Lee filter (Lee, 1980), NaN-aware.

For each pixel, with the local mean m and variance v of linear σ0 over a ``size`` × ``size`` window
and the speckle's coefficient of variation Cu = 1/√ENL (multiplicative noise of unit mean):

    var_x = max((v − m² Cu²) / (1 + Cu²), 0),   k = var_x / v,   σ0_filtered = m + k (σ0 − m).

Homogeneous areas (v ≈ m² Cu²) get k ≈ 0, the local mean; edges and point targets (v ≫ m² Cu²) get
k ≈ 1 and keep their value, so edges stay sharp where a box filter would blur them. The local
moments are normalised convolutions over the valid pixels (scipy.ndimage.uniform_filter of the
values and of the validity mask), so no-data pixels neither spread nor bias their neighbours. No
well-kept Python package offers a NaN-aware Lee filter on arrays; it is written here on scipy's
uniform filter. ENL 4.4 is ESA's figure for IW GRDH.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from scipy.ndimage import uniform_filter

SpeckleFilter = Literal["none", "lee"]
SPECKLE_FILTERS: tuple[str, ...] = ("none", "lee")
IW_GRDH_ENL = 4.4


def local_moments(values: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mean, variance and valid-pixel fraction of ``values`` over ``size`` × ``size`` windows, NaN ignored."""
    valid = np.isfinite(values)
    filled = np.where(valid, values, 0.0).astype(np.float64)
    weight = uniform_filter(valid.astype(np.float64), size, mode="nearest")
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = uniform_filter(filled, size, mode="nearest") / weight
        mean_sq = uniform_filter(filled**2, size, mode="nearest") / weight
    return mean, np.maximum(mean_sq - mean**2, 0.0), weight


def lee_filter(sigma0: np.ndarray, size: int = 5, enl: float = IW_GRDH_ENL) -> np.ndarray:
    """Lee-filtered linear σ0 (float32, same shape); NaN stays NaN.

    Args:
        sigma0: linear σ0 in radar geometry (rows, cols); NaN = no data.
        size: window side in pixels, odd, ≥ 3.
        enl: equivalent number of looks of the product.

    Raises:
        ValueError: for an even or too small window, or a non-positive ENL.
    """
    if size < 3 or size % 2 == 0:
        raise ValueError(f"speckle window must be odd and at least 3 pixels, got {size}")
    if enl <= 0:
        raise ValueError(f"equivalent number of looks must be positive, got {enl}")
    sigma0 = np.asarray(sigma0, np.float64)
    mean, variance, _ = local_moments(sigma0, size)
    cu2 = 1.0 / enl
    signal_variance = np.maximum((variance - mean**2 * cu2) / (1.0 + cu2), 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        gain = np.where(variance > 0, signal_variance / variance, 0.0)
    out = mean + gain * (sigma0 - mean)
    return np.where(np.isfinite(sigma0), out, np.nan).astype(np.float32)


def apply_speckle_filter(sigma0: np.ndarray, method: SpeckleFilter, size: int = 5) -> np.ndarray:
    """``sigma0`` filtered by ``method`` ("none" returns it unchanged).

    Raises:
        ValueError: for an unknown method.
    """
    if method == "none":
        return sigma0
    if method == "lee":
        return lee_filter(sigma0, size)
    raise ValueError(f"unknown speckle filter {method!r}; use one of {', '.join(SPECKLE_FILTERS)}")


__all__ = ["IW_GRDH_ENL", "SPECKLE_FILTERS", "SpeckleFilter", "apply_speckle_filter", "lee_filter", "local_moments"]
