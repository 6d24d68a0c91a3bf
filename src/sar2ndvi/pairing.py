"""Pairing Sentinel-1 acquisitions with NDVI images taken within a few days."""

from __future__ import annotations

from datetime import date, datetime

import numpy as np
import pandas as pd


def to_date(key: str) -> date:
    """A ``YYYYMMDD`` key as a date."""
    return datetime.strptime(key, "%Y%m%d").date()


def pair_scenes(scenes: pd.DataFrame, ndvi_dates: list[str], max_days: int) -> pd.DataFrame:
    """Each S1 scene with the NDVI date nearest to its acquisition, within ± ``max_days``.

    Args:
        scenes: one row per scene with columns ``scene`` and ``start`` (ISO UTC time).
        ndvi_dates: ``YYYYMMDD`` dates of the NDVI images.
        max_days: largest allowed gap in days.

    Returns:
        columns scene, s1_date, ndvi_date, gap_days; scenes without a partner are left out;
        sorted by acquisition time. Of two dates equally near, the earlier wins.
    """
    columns = ["scene", "s1_date", "ndvi_date", "gap_days", "start"]
    candidates = np.array(sorted({to_date(d).toordinal() for d in ndvi_dates}), dtype=np.int64)
    if scenes.empty or not len(candidates):
        return pd.DataFrame(columns=columns)
    days = np.array([pd.Timestamp(t).date().toordinal() for t in scenes["start"]], dtype=np.int64)
    after = np.searchsorted(candidates, days)  # first candidate on or after the day
    before = np.clip(after - 1, 0, len(candidates) - 1)
    after = np.clip(after, 0, len(candidates) - 1)
    gap_before, gap_after = np.abs(days - candidates[before]), np.abs(candidates[after] - days)
    partner = np.where(gap_after < gap_before, candidates[after], candidates[before])
    gap = np.minimum(gap_before, gap_after)
    keep = gap <= max_days
    table = pd.DataFrame(
        {
            "scene": scenes["scene"].to_numpy()[keep],
            "s1_date": [date.fromordinal(int(d)).strftime("%Y%m%d") for d in days[keep]],
            "ndvi_date": [date.fromordinal(int(d)).strftime("%Y%m%d") for d in partner[keep]],
            "gap_days": gap[keep].astype(int),
            "start": scenes["start"].to_numpy()[keep],
        },
        columns=columns,
    )
    return table.sort_values("start", kind="stable").reset_index(drop=True)
