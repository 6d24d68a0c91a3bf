"""SAR input channels of Kimura et al. (2023), §4.4 and eqs. 4–7, from Sentinel-1 σ0 VV and VH.

Inputs are σ0 VV and VH in linear power (m²/m², dimensionless); NaN, ±inf and values ≤ 0 are no data.
Kimura et al. list ten channels but give neither clip ranges nor units; the choices made here:

- Clipping is done in dB with the SEN12TP ranges (Roßberg & Schmitt 2023, after Meraner et al. 2020):
  VV [−25, 0] dB, VH [−32.5, 0] dB.
- "99.5 %-range clipped VV" is VV in dB clipped to the 0.25th–99.75th percentiles of the valid VV
  pixels of the same image, i.e. the central 99.5 % of that image's values; the range adapts to
  each acquisition instead of being fixed.
- "VH (original)" is VH in dB without clipping.
- PRVI, RFDI, RVI4S1 and RVI (eqs. 4–7, from Pelta et al. 2022) are computed on linear power, as
  these ratio definitions require (on dB values the ratios change sign and meaning). PRVI has the
  unit of σ0 (linear power); RFDI, RVI4S1 and RVI are dimensionless.
- "VH+VV" and "VH−VV" are in dB: the sum of the two dB values (10·log10 of the product) and the
  cross-polarisation ratio VH/VV in dB, the forms in which these combinations usually enter SAR
  crop studies; in linear power VH+VV would nearly equal VV and add little.

A pixel missing either polarisation is NaN in every channel. Percentiles use the pixels where both
polarisations are valid.

The channels are one table, :data:`SAR_INDEXES`: a name and a formula of the image's
:class:`Backscatter` each. A new index is one more entry; datasets, models and checkpoints carry
the channels by name.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

VV_CLIP_DB: tuple[float, float] = (-25.0, 0.0)
VH_CLIP_DB: tuple[float, float] = (-32.5, 0.0)
RANGE_PERCENTILES: tuple[float, float] = (0.25, 99.75)


def to_db(power: np.ndarray) -> np.ndarray:
    """10·log10 of linear power (float64, dB); NaN where power is ≤ 0 or not finite."""
    power = np.asarray(power, np.float64)
    ok = np.isfinite(power) & (power > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(ok, 10.0 * np.log10(np.where(ok, power, 1.0)), np.nan)


def _valid(vv: np.ndarray, vh: np.ndarray) -> np.ndarray:
    return np.isfinite(vv) & np.isfinite(vh) & (vv > 0) & (vh > 0)


@dataclass(frozen=True)
class Backscatter:
    """One image's σ0 in the forms the indexes are made of; NaN wherever either polarisation is missing.

    Attributes:
        vv, vh: σ0 in linear power (float64).
        vv_db, vh_db: the same in dB.
        vv_clip_db, vh_clip_db: the fixed clip ranges (dB).
        vv_range_db: the image's own VV range (dB) at the configured percentiles.
    """

    vv: np.ndarray
    vh: np.ndarray
    vv_db: np.ndarray
    vh_db: np.ndarray
    vv_clip_db: tuple[float, float]
    vh_clip_db: tuple[float, float]
    vv_range_db: tuple[float, float]

    @property
    def total(self) -> np.ndarray:
        return self.vh + self.vv

    @property
    def rvi(self) -> np.ndarray:
        """4·VH / (VV + VH), eq. 7."""
        return 4.0 * self.vh / self.total


@dataclass(frozen=True)
class SarIndex:
    """A model input channel: its name and its formula (float64 in, its unit stated in the name or module doc)."""

    name: str
    compute: Callable[[Backscatter], np.ndarray]


SAR_INDEXES: tuple[SarIndex, ...] = (
    SarIndex("VV clipped (dB)", lambda b: np.clip(b.vv_db, *b.vv_clip_db)),
    SarIndex("VV 99.5%-range clipped (dB)", lambda b: np.clip(b.vv_db, *b.vv_range_db)),
    SarIndex("VH (dB)", lambda b: b.vh_db),
    SarIndex("VH clipped (dB)", lambda b: np.clip(b.vh_db, *b.vh_clip_db)),
    SarIndex("PRVI", lambda b: (1.0 - b.vv / b.total) * b.vh),  # eq. 4
    SarIndex("RFDI", lambda b: (b.vv - b.vh) / b.total),  # eq. 5
    SarIndex("RVI4S1", lambda b: np.sqrt(b.vv / b.total) * b.rvi),  # eq. 6
    SarIndex("RVI", lambda b: b.rvi),  # eq. 7
    SarIndex("VH+VV (dB)", lambda b: b.vh_db + b.vv_db),
    SarIndex("VH-VV (dB)", lambda b: b.vh_db - b.vv_db),
)
CHANNEL_NAMES: tuple[str, ...] = tuple(index.name for index in SAR_INDEXES)
# The "no SAR indexes" ablation keeps only the clipped backscatter.
PLAIN_CHANNEL_NAMES: tuple[str, ...] = ("VV clipped (dB)", "VH clipped (dB)")
PLAIN_CHANNEL_INDEXES: tuple[int, ...] = tuple(CHANNEL_NAMES.index(name) for name in PLAIN_CHANNEL_NAMES)


def sar_index_channels(
    vv: np.ndarray,
    vh: np.ndarray,
    vv_clip_db: tuple[float, float] = VV_CLIP_DB,
    vh_clip_db: tuple[float, float] = VH_CLIP_DB,
    range_percentiles: tuple[float, float] = RANGE_PERCENTILES,
) -> np.ndarray:
    """The channels of :data:`SAR_INDEXES` (ten: :data:`CHANNEL_NAMES`), shape (10, rows, cols), float32.

    Args:
        vv, vh: σ0 in linear power, same shape (rows, cols); NaN (or ≤ 0) where there is no data.
        vv_clip_db, vh_clip_db: fixed clip ranges in dB for the "clipped" channels.
        range_percentiles: percentiles (in %) of this image's valid VV dB values bounding the
            "99.5 %-range clipped VV" channel.

    Returns:
        float32 array; dB channels in dB, PRVI in linear power, RFDI, RVI4S1, RVI dimensionless;
        NaN wherever either polarisation is missing.
    """
    vv = np.asarray(vv, np.float64)
    vh = np.asarray(vh, np.float64)
    if vv.shape != vh.shape:
        raise ValueError(f"VV {vv.shape} and VH {vh.shape} differ in shape")
    valid = _valid(vv, vh)
    vv = np.where(valid, vv, np.nan)
    vh = np.where(valid, vh, np.nan)
    vv_db, vh_db = to_db(vv), to_db(vh)
    vv_range_db = tuple(np.percentile(vv_db[valid], range_percentiles)) if valid.any() else vv_clip_db
    backscatter = Backscatter(vv, vh, vv_db, vh_db, vv_clip_db, vh_clip_db, vv_range_db)
    return np.stack([index.compute(backscatter) for index in SAR_INDEXES]).astype(np.float32)


def sar_channels(vv: np.ndarray, vh: np.ndarray, use_indexes: bool = True) -> np.ndarray:
    """Model input channels from σ0 VV and VH (linear power): all ten, or the two plain ones.

    Args:
        vv, vh: σ0 in linear power (rows, cols); NaN (or ≤ 0) = no data.
        use_indexes: True for :data:`CHANNEL_NAMES`; False for the "no SAR indexes" ablation,
            (VV clipped dB, VH clipped dB) = :data:`PLAIN_CHANNEL_NAMES`, shape (2, rows, cols).
    """
    channels = sar_index_channels(vv, vh)
    return channels if use_indexes else channels[list(PLAIN_CHANNEL_INDEXES)]


def channel_names(use_indexes: bool = True) -> tuple[str, ...]:
    """Names of the channels :func:`sar_channels` returns."""
    return CHANNEL_NAMES if use_indexes else PLAIN_CHANNEL_NAMES
