"""Listing optical scenes in a folder (the demo archive or the user's files): Earth Engine exports, PlanetScope."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import pandas as pd

from sar2ndvi.ndvi import OpticalScene, parse_landsat_name, parse_planet_name, parse_sentinel2_name

OPTICAL_COLUMNS = ["date", "acquired", "id", "path", "mask_path"]


def _in_period(table: pd.DataFrame, start: str, end: str) -> pd.DataFrame:
    if table.empty:
        return pd.DataFrame(columns=OPTICAL_COLUMNS)
    times = pd.to_datetime(table["acquired"], format="ISO8601")
    keep = (times >= pd.Timestamp(start)) & (times < pd.Timestamp(end) + pd.Timedelta(days=1))
    return table[keep].sort_values(["acquired", "id"], kind="stable").reset_index(drop=True)[OPTICAL_COLUMNS]


def _list_exports(
    folder: str | Path, start: str, end: str, parse: Callable[[Path], OpticalScene], sensor: str
) -> pd.DataFrame:
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"{folder}: {sensor} folder not found; set local.{sensor} to your exports")
    rows = []
    for path in sorted(folder.glob("*.tif")):
        scene = parse(path)
        rows.append(
            {
                "date": scene.date_key,
                "acquired": scene.acquired.isoformat(),
                "id": path.stem,
                "path": path.as_posix(),
                "mask_path": "",
            }
        )
    return _in_period(pd.DataFrame(rows), start, end)


def list_sentinel2(folder: str | Path, start: str, end: str) -> pd.DataFrame:
    """Earth Engine S2 exports (``<system:index>.tif``) acquired on days ``start``..``end``.

    Raises:
        FileNotFoundError: if the folder does not exist.
        ValueError: naming a file whose name is not an S2 ``system:index``.
    """
    return _list_exports(folder, start, end, parse_sentinel2_name, "sentinel2")


def list_landsat(folder: str | Path, start: str, end: str) -> pd.DataFrame:
    """Earth Engine Landsat 8/9 Collection 2 L2 exports (``<system:index>.tif``) of days ``start``..``end``.

    Raises:
        FileNotFoundError: if the folder does not exist.
        ValueError: naming a file whose name is not a Landsat 8/9 ``system:index``.
    """
    return _list_exports(folder, start, end, parse_landsat_name, "landsat")


def planet_acquired(path: str | Path) -> datetime:
    """UTC acquisition time of a PlanetScope scene, naive.

    From the scene's ``<id>_metadata.json`` (``properties.acquired``, as the Orders API delivers it)
    when it lies beside the image, else from the file name (whole seconds).

    Raises:
        ValueError: naming the file if neither gives a time.
    """
    path = Path(path)
    metadata = path.parent / (path.name.split("_3B_")[0] + "_metadata.json")
    if metadata.is_file():
        try:
            acquired = json.loads(metadata.read_text())["properties"]["acquired"]
        except (KeyError, TypeError, json.JSONDecodeError) as err:
            raise ValueError(f"{metadata}: no properties.acquired in the scene metadata ({err})") from err
        stamp = pd.Timestamp(acquired)
        return (stamp.tz_convert("UTC").tz_localize(None) if stamp.tzinfo else stamp).to_pydatetime()
    return parse_planet_name(path).acquired


def list_planet(folder: str | Path, start: str, end: str) -> pd.DataFrame:
    """PlanetScope 4-band SR scenes (``*_3B_AnalyticMS_SR*.tif``) with their UDM2 masks where present.

    Raises:
        FileNotFoundError: if the folder does not exist.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"{folder}: Planet folder not found; set local.planet to your PlanetScope scenes")
    rows = []
    for path in sorted(folder.rglob("*_3B_AnalyticMS_SR*.tif")):
        if "udm" in path.stem.lower():
            continue
        acquired = planet_acquired(path)
        udm2 = sorted(path.parent.glob(path.name.split("_3B_")[0] + "_3B_*udm2*.tif"))
        rows.append(
            {
                "date": acquired.strftime("%Y%m%d"),
                "acquired": acquired.isoformat(),
                "id": path.stem,
                "path": path.as_posix(),
                "mask_path": udm2[0].as_posix() if udm2 else "",
            }
        )
    return _in_period(pd.DataFrame(rows), start, end)
