"""SAR index channels of Kimura et al. (2023), §4.4 and eqs. 4–7.

Inputs are σ0 VV and VH in linear power (NaN = no data). The ratio indexes (PRVI, RFDI, RVI4S1, RVI)
are computed on linear power, as their definitions (Pelta et al. 2022) require; the backscatter
channels and their sum and difference are in dB, the usual form for networks (the sum of dB values
and the cross-polarisation ratio VH−VV in dB). Where Kimura et al. are silent on clip ranges, the
SEN12TP ranges are used: VV [−25, 0] dB, VH [−32.5, 0] dB (Roßberg & Schmitt 2023).
"""

from __future__ import annotations

import numpy as np

VV_CLIP_DB = (-25.0, 0.0)
VH_CLIP_DB = (-32.5, 0.0)
# "99.5 %-range clipped VV": VV in dB clipped to the central 99.5 % of the image's valid values.
RANGE_PERCENTILES = (0.25, 99.75)

CHANNEL_NAMES = (
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


def to_db(power: np.ndarray) -> np.ndarray:
    """10·log10 of linear power; NaN where power ≤ 0 or NaN."""
    power = np.asarray(power, np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(power > 0, 10.0 * np.log10(power), np.nan)


def sar_index_channels(vv: np.ndarray, vh: np.ndarray) -> np.ndarray:
    """The ten channels of :data:`CHANNEL_NAMES`, shape (10, rows, cols), float32.

    Args:
        vv, vh: σ0 in linear power, same shape; NaN where there is no data.
    """
    vv = np.asarray(vv, np.float64)
    vh = np.asarray(vh, np.float64)
    vv_db, vh_db = to_db(vv), to_db(vh)
    valid = vv_db[np.isfinite(vv_db)]
    if valid.size:
        low, high = np.percentile(valid, RANGE_PERCENTILES)
    else:
        low, high = VV_CLIP_DB
    total = vh + vv
    with np.errstate(divide="ignore", invalid="ignore"):
        share_vv = vv / total
        prvi = (1.0 - share_vv) * vh
        rfdi = (vv - vh) / total
        rvi = 4.0 * vh / total
        rvi4s1 = np.sqrt(share_vv) * rvi
    channels = [
        np.clip(vv_db, *VV_CLIP_DB),
        np.clip(vv_db, low, high),
        vh_db,
        np.clip(vh_db, *VH_CLIP_DB),
        prvi,
        rfdi,
        rvi4s1,
        rvi,
        vh_db + vv_db,
        vh_db - vv_db,
    ]
    out = np.stack(channels).astype(np.float32)
    # a pixel missing either polarisation has no channel at all
    out[:, ~(np.isfinite(vv) & np.isfinite(vh))] = np.nan
    return out
