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
"""

from __future__ import annotations

import numpy as np

VV_CLIP_DB: tuple[float, float] = (-25.0, 0.0)
VH_CLIP_DB: tuple[float, float] = (-32.5, 0.0)
RANGE_PERCENTILES: tuple[float, float] = (0.25, 99.75)

CHANNEL_NAMES: tuple[str, ...] = (
    "VV clipped (dB)",
    "VV 99.5%-range clipped (dB)",
    "VH (dB)",
    "VH clipped (dB)",
    "PRVI",
    "RFDI",
    "RVI4S1",
    "RVI",
    "VH+VV (dB)",
    "VH-VV (dB)",
)
# The "no SAR indexes" ablation keeps only the clipped backscatter: positions in CHANNEL_NAMES.
PLAIN_CHANNEL_INDEXES: tuple[int, int] = (0, 3)
PLAIN_CHANNEL_NAMES: tuple[str, ...] = tuple(CHANNEL_NAMES[i] for i in PLAIN_CHANNEL_INDEXES)


def to_db(power: np.ndarray) -> np.ndarray:
    """10·log10 of linear power (float64, dB); NaN where power is ≤ 0 or not finite."""
    power = np.asarray(power, np.float64)
    ok = np.isfinite(power) & (power > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(ok, 10.0 * np.log10(np.where(ok, power, 1.0)), np.nan)


def _valid(vv: np.ndarray, vh: np.ndarray) -> np.ndarray:
    return np.isfinite(vv) & np.isfinite(vh) & (vv > 0) & (vh > 0)


def sar_index_channels(
    vv: np.ndarray,
    vh: np.ndarray,
    vv_clip_db: tuple[float, float] = VV_CLIP_DB,
    vh_clip_db: tuple[float, float] = VH_CLIP_DB,
    range_percentiles: tuple[float, float] = RANGE_PERCENTILES,
) -> np.ndarray:
    """The ten channels of :data:`CHANNEL_NAMES`, shape (10, rows, cols), float32.

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
    if valid.any():
        low, high = np.percentile(vv_db[valid], range_percentiles)
    else:
        low, high = vv_clip_db
    total = vh + vv
    share_vv = vv / total
    rvi = 4.0 * vh / total  # eq. 7
    channels = [
        np.clip(vv_db, *vv_clip_db),
        np.clip(vv_db, low, high),
        vh_db,
        np.clip(vh_db, *vh_clip_db),
        (1.0 - share_vv) * vh,  # PRVI, eq. 4
        (vv - vh) / total,  # RFDI, eq. 5
        np.sqrt(share_vv) * rvi,  # RVI4S1, eq. 6
        rvi,
        vh_db + vv_db,
        vh_db - vv_db,
    ]
    return np.stack(channels).astype(np.float32)


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
