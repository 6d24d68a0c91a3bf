"""Precise (POEORB) and restituted (RESORB) Sentinel-1 orbit files: ESA's Earth Explorer ``.EOF`` XML.

A file holds Earth-fixed state vectors (``Data_Block/List_of_OSVs/OSV``: ``UTC=…`` time, X, Y, Z in
m, VX, VY, VZ in m/s) every 10 s over its validity period. POEORB vectors are accurate to about
5 cm, against about 1 m for the annotation's predicted orbit; over flat ground that moves a pixel by
a few centimetres, so the annotation orbit is good enough for 10 m work, and the files are an option
for users who want the reference orbit. File names follow
``S1A_OPER_AUX_POEORB_OPOD_<created>_V<validity start>_<validity stop>.EOF``.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
from lxml import etree

from sar2ndvi.sentinel1.geometry import Orbit

_NAME = re.compile(
    r"^(?P<mission>S1[ABCD])_OPER_AUX_(?P<kind>POEORB|RESORB)_OPOD_\d{8}T\d{6}_V(?P<start>\d{8}T\d{6})_(?P<stop>\d{8}T\d{6})"
)


def _utc(text: str) -> np.datetime64:
    return np.datetime64(text.removeprefix("UTC=").strip(), "ns")


def read_orbit_file(path: str | Path, start: np.datetime64, stop: np.datetime64, margin_s: float = 60.0) -> Orbit:
    """The state vectors of an EOF file from ``start − margin_s`` to ``stop + margin_s`` (UTC).

    Raises:
        ValueError: naming the file if it holds no state vectors or fewer than 4 in that span.
    """
    root = etree.parse(str(path)).getroot()
    vectors = root.findall(".//Data_Block/List_of_OSVs/OSV")
    if not vectors:
        raise ValueError(f"{path}: no Data_Block/List_of_OSVs/OSV state vectors; is it an ESA orbit (.EOF) file?")
    times = np.array([_utc(v.findtext("UTC")) for v in vectors])
    margin = np.timedelta64(int(margin_s * 1e9), "ns")
    keep = (times >= np.datetime64(start, "ns") - margin) & (times <= np.datetime64(stop, "ns") + margin)
    if keep.sum() < 4:
        raise ValueError(
            f"{path}: only {int(keep.sum())} state vectors between {start} and {stop} (± {margin_s:g} s); "
            "the file does not cover the product: use the orbit file whose validity spans the acquisition"
        )
    chosen = [v for v, k in zip(vectors, keep, strict=True) if k]
    positions = np.array([[float(v.findtext(axis)) for axis in ("X", "Y", "Z")] for v in chosen])
    velocities = np.array([[float(v.findtext(axis)) for axis in ("VX", "VY", "VZ")] for v in chosen])
    epoch = times[keep][0]
    seconds = (times[keep] - epoch) / np.timedelta64(1, "s")
    return Orbit(epoch, seconds, positions, velocities)


def find_orbit_file(folder: str | Path, mission: str, start: np.datetime64, stop: np.datetime64) -> Path:
    """The orbit file of ``mission`` (S1A …) in ``folder`` whose validity covers [start, stop] (UTC).

    Precise (POEORB) files are preferred over restituted ones (RESORB), then the most recent.

    Raises:
        FileNotFoundError: naming the folder, the mission and the time when no file covers it.
    """
    folder = Path(folder)
    start, stop = np.datetime64(start, "s"), np.datetime64(stop, "s")
    candidates = []
    for path in sorted(folder.glob("*.EOF")):
        match = _NAME.match(path.name)
        if not match or match["mission"] != mission:
            continue
        valid_from = np.datetime64(_iso(match["start"]), "s")
        valid_to = np.datetime64(_iso(match["stop"]), "s")
        if valid_from <= start and stop <= valid_to:
            candidates.append((match["kind"] == "POEORB", path.name, path))
    if not candidates:
        raise FileNotFoundError(
            f"{folder}: no {mission} POEORB/RESORB orbit file covers {start}–{stop} UTC; download it from "
            "the Copernicus Data Space (https://dataspace.copernicus.eu) or use sources.orbits: annotation"
        )
    return max(candidates)[2]


def _iso(compact: str) -> str:
    return f"{compact[:4]}-{compact[4:6]}-{compact[6:8]}T{compact[9:11]}:{compact[11:13]}:{compact[13:15]}"


__all__ = ["find_orbit_file", "read_orbit_file"]
