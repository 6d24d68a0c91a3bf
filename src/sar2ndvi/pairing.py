"""Pairing Sentinel-1 acquisitions with NDVI images taken within a few days."""

from __future__ import annotations

from datetime import date, datetime

import pandas as pd

from sar2ndvi.ndvi import nearest_date


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
        sorted by acquisition time.
    """
    candidates = [to_date(d) for d in ndvi_dates]
    rows = []
    for scene, start in zip(scenes["scene"], scenes["start"], strict=True):
        s1_day = pd.Timestamp(start).date()
        partner = nearest_date(s1_day, candidates, max_days)
        if partner is not None:
            rows.append(
                {
                    "scene": scene,
                    "s1_date": s1_day.strftime("%Y%m%d"),
                    "ndvi_date": partner.strftime("%Y%m%d"),
                    "gap_days": abs((partner - s1_day).days),
                    "start": start,
                }
            )
    columns = ["scene", "s1_date", "ndvi_date", "gap_days", "start"]
    return pd.DataFrame(rows, columns=columns).sort_values("start", kind="stable").reset_index(drop=True)
