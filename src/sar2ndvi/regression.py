"""Mapping Sentinel-2 NDVI onto Planet's scale: Planet NDVI ≈ slope · S2 NDVI + intercept.

Kimura et al. (2023) correct the value range of the Sentinel-2 pre-training targets with a linear
regression against Planet NDVI. It is fitted here by ordinary least squares on farm pixels observed
by both sensors within a few days of each other, on the same 10 m grid.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import date, datetime
from pathlib import Path

import numpy as np

from sar2ndvi.grid import AreaGrid

#: NDVI range over which two calibrations are compared
NDVI_RANGE = (-1.0, 1.0)


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


def target_shift(a: Mapping[str, float], b: Mapping[str, float]) -> float:
    """Largest difference (NDVI) between two calibrations ``slope · x + intercept`` over x in [−1, 1].

    The difference of two lines is largest at an end of the range.
    """
    d_slope = float(a["slope"]) - float(b["slope"])
    d_intercept = float(a["intercept"]) - float(b["intercept"])
    return max(abs(d_slope * x + d_intercept) for x in NDVI_RANGE)


def adopt_calibration(
    fresh: Mapping[str, float], in_use: Mapping[str, float] | None, tolerance: float
) -> dict[str, float]:
    """The calibration (slope, intercept) that pre-training targets should use.

    Keeps ``in_use`` — the one the existing pre-training data were built with — while the fresh fit
    moves no target by more than ``tolerance`` NDVI (:func:`target_shift`); otherwise, or when
    nothing is in use yet, the fresh fit. Refits on a little more data (a new Planet date moves
    Tsumagoi's targets by under 0.007 NDVI) then leave pre-training untouched, while a real change
    of the cross-sensor relation still rebuilds it.
    """
    if in_use is not None and target_shift(fresh, in_use) <= tolerance:
        return {"slope": float(in_use["slope"]), "intercept": float(in_use["intercept"])}
    return {"slope": float(fresh["slope"]), "intercept": float(fresh["intercept"])}


def ndvi_day(path: str | Path) -> date:
    """The date of an NDVI raster named ``YYYYMMDD….tif``."""
    return datetime.strptime(Path(path).name[:8], "%Y%m%d").date()


@dataclass(frozen=True)
class PixelPairs:
    """Pixels seen by a source and a reference sensor within a few days: the regression's data."""

    source: np.ndarray  # NDVI of the sensor being mapped (Sentinel-2), float32
    reference: np.ndarray  # NDVI of the sensor mapped onto (Planet), float32
    date_pairs: list[dict]  # one record per pair of dates used: their ISO dates and pixel count


def pair_pixels(
    reference_paths: Sequence[str | Path],
    source_paths: Sequence[str | Path],
    farm: np.ndarray,
    grid: AreaGrid,
    max_days: int,
    names: tuple[str, str] = ("planet", "sentinel2"),
) -> PixelPairs:
    """Farm pixels that each reference date shares with the nearest source date within ± ``max_days``.

    Raises:
        ValueError: when no reference date has a source date in reach with common farm pixels.
    """
    from sar2ndvi.io import read_raster
    from sar2ndvi.ndvi import nearest_date

    source_by_day = {ndvi_day(p): p for p in source_paths}
    xs, ys, used = [], [], []
    for reference_path in reference_paths:
        match = nearest_date(ndvi_day(reference_path), list(source_by_day), max_days)
        if match is None:
            continue
        reference = read_raster(reference_path, grid)[0]
        source = read_raster(source_by_day[match], grid)[0]
        ok = farm & np.isfinite(reference) & np.isfinite(source)
        if ok.any():
            xs.append(source[ok])
            ys.append(reference[ok])
            used.append(
                {names[0]: ndvi_day(reference_path).isoformat(), names[1]: match.isoformat(), "pixels": int(ok.sum())}
            )
    if not xs:
        raise ValueError(
            f"no Planet date has a Sentinel-2 date within ±{max_days} days with common farm pixels; "
            "widen pairing.max_days"
        )
    return PixelPairs(np.concatenate(xs), np.concatenate(ys), used)
