"""Mapping Sentinel-2 NDVI onto Planet's scale: Planet NDVI ≈ slope · S2 NDVI + intercept.

Kimura et al. (2023) correct the value range of the Sentinel-2 pre-training targets with a linear
regression against Planet NDVI. It is fitted here by ordinary least squares on farm pixels observed
by both sensors within a few days of each other, on the same 10 m grid.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np


@dataclass(frozen=True)
class LinearFit:
    """y ≈ slope · x + intercept, with its goodness of fit."""

    slope: float
    intercept: float
    r2: float
    rmse: float
    n_pixels: int
    n_pairs: int

    def apply(self, x: np.ndarray) -> np.ndarray:
        """The fitted mapping applied to ``x`` (NaN stays NaN), clipped to the NDVI range [−1, 1]."""
        return np.clip(self.slope * np.asarray(x, np.float32) + self.intercept, -1.0, 1.0).astype(np.float32)

    def to_dict(self) -> dict:
        return asdict(self)


def fit_linear(x: np.ndarray, y: np.ndarray, min_pixels: int = 100, n_pairs: int = 1) -> LinearFit:
    """Ordinary least squares of ``y`` on ``x`` over the pixels where both are finite.

    Raises:
        ValueError: if fewer than ``min_pixels`` pixels are usable or ``x`` is constant.
    """
    x = np.asarray(x, np.float64).ravel()
    y = np.asarray(y, np.float64).ravel()
    ok = np.isfinite(x) & np.isfinite(y)
    if ok.sum() < min_pixels:
        raise ValueError(
            f"only {int(ok.sum())} farm pixels are observed by both Sentinel-2 and Planet within the "
            f"pairing window (need {min_pixels}); widen pairing.max_days or add dates"
        )
    x, y = x[ok], y[ok]
    if np.ptp(x) == 0:
        raise ValueError("Sentinel-2 NDVI is constant over the matched pixels; the regression is undefined")
    slope, intercept = np.polyfit(x, y, 1)
    residual = y - (slope * x + intercept)
    r2 = 1.0 - residual.var() / y.var() if y.var() > 0 else 0.0
    return LinearFit(
        slope=float(slope),
        intercept=float(intercept),
        r2=float(r2),
        rmse=float(np.sqrt(np.mean(residual**2))),
        n_pixels=int(ok.sum()),
        n_pairs=n_pairs,
    )
