"""Sentinel-1 IW GRD scene search and fetch for the demo archive and local folders."""

from __future__ import annotations

import json
import logging
import re
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from shapely import wkt as shapely_wkt
from shapely.geometry import box

from sar2ndvi.sentinel1.layout import product_name, unpack_product
from sar2ndvi.sentinel1.safe import relative_orbit
from sar2ndvi.sources.transfer import VerificationError, verify_file

log = logging.getLogger(__name__)

# ESA's product name; COG products (Copernicus Data Space Ecosystem) end "_COG".
GRANULE = re.compile(
    r"^(?P<platform>S1[ABCD])_(?P<mode>IW)_(?P<type>GRD[HM])_1S(?P<pol>[DS][VH])_"
    r"(?P<start>\d{8}T\d{6})_(?P<stop>\d{8}T\d{6})_(?P<orbit>\d{6})_(?P<take>[0-9A-F]{6})_(?P<uid>[0-9A-F]{4})"
    r"(?:_COG)?$"
)
SCENE_COLUMNS = [
    "scene",
    "start",
    "stop",
    "platform",
    "relative_orbit",
    "absolute_orbit",
    "flight_direction",
    "url",
    "bytes",
    "md5",
]


def parse_granule(name: str) -> dict:
    """Fields of an ESA Sentinel-1 IW GRD product name (``.zip``, ``.SAFE.zip``, ``.SAFE``, ``_COG`` allowed).

    Raises:
        ValueError: if ``name`` is not an IW GRD product name.
    """
    match = GRANULE.match(name.removesuffix(".zip").removesuffix(".SAFE"))
    if not match:
        raise ValueError(
            f"{name}: not a Sentinel-1 IW GRD product name "
            "(e.g. S1A_IW_GRDH_1SDV_20170503T204512_20170503T204537_016419_01B3C5_1A2B)"
        )
    fields = match.groupdict()
    fields["start"] = pd.Timestamp(fields["start"]).isoformat()
    fields["stop"] = pd.Timestamp(fields["stop"]).isoformat()
    fields["orbit"] = int(fields["orbit"])
    fields["absolute_orbit"] = fields["orbit"]
    return fields


@dataclass(frozen=True)
class SkippedScene:
    """A product a search found and left out on purpose, and why (for the run's summary)."""

    scene: str
    reason: str


def _skip(scene: str, reason: str, skipped: list[SkippedScene] | None) -> None:
    log.warning("%s skipped: %s", scene, reason)
    if skipped is not None:
        skipped.append(SkippedScene(scene, reason))


def filter_scenes(
    table: pd.DataFrame,
    start: str,
    end: str,
    flight_direction: str | None,
    footprints: list | None = None,
    study_box: tuple[float, float, float, float] | None = None,
    relative_orbits: Sequence[int] | None = None,
    skipped: list[SkippedScene] | None = None,
) -> pd.DataFrame:
    """Scenes acquired on days ``start``..``end`` (inclusive, UTC), of the direction, covering the study
    box, on ``relative_orbits`` if any are given.

    A scene of the period and direction whose footprint misses the study box is added to ``skipped``
    (and logged): such a product in a folder of the user's is worth a word.
    """
    times = pd.to_datetime(table["start"])
    keep = (times >= pd.Timestamp(start)) & (times < pd.Timestamp(end) + pd.Timedelta(days=1))
    if flight_direction:
        keep &= table["flight_direction"].str.upper() == flight_direction.upper()
    if relative_orbits:
        keep &= table["relative_orbit"].isin([int(orbit) for orbit in relative_orbits])
    if footprints is not None and study_box is not None:
        area = box(*study_box)
        covers = pd.Series([fp is None or fp.intersects(area) for fp in footprints], index=table.index)
        for scene in table.loc[keep & ~covers, "scene"]:
            reason = f"its footprint does not cover the study area {tuple(study_box)}"
            _skip(scene, reason, skipped)
        keep &= covers
    out = table[keep].sort_values(["start", "scene"], kind="stable").reset_index(drop=True)
    return out[SCENE_COLUMNS]


def keep_relative_orbits(table: pd.DataFrame, relative_orbits: Sequence[int] | None) -> pd.DataFrame:
    """The scenes of ``table`` on ``relative_orbits`` (every scene when none are given), order kept.

    The workflow's search lists every track over the study area, and this selection is applied
    when the list is read: choosing tracks then never changes the search itself, so listing the
    tracks already in use reruns nothing.
    """
    if not relative_orbits:
        return table.reset_index(drop=True)
    keep = table["relative_orbit"].astype(int).isin([int(orbit) for orbit in relative_orbits])
    return table[keep].reset_index(drop=True)


def search_catalog(
    catalog_path: str | Path,
    start: str,
    end: str,
    flight_direction: str | None,
    study_box: tuple[float, float, float, float],
    relative_orbits: Sequence[int] | None = None,
    skipped: list[SkippedScene] | None = None,
) -> pd.DataFrame:
    """Scenes listed in an ASF-style JSON catalogue (the demo archive's ``sentinel1/catalog.json``).

    ``url`` entries relative to the catalogue are joined to its folder as given (a relative
    folder gives relative paths: a moved working directory still finds the products).
    """
    catalog_path = Path(catalog_path)
    records = json.loads(catalog_path.read_text())
    rows, footprints = [], []
    for rec in records:
        if rec.get("beamModeType", "IW") != "IW" or not str(rec.get("processingLevel", "GRD_HD")).startswith("GRD"):
            continue
        name = rec["sceneName"]
        fields = parse_granule(name)
        url = rec["url"]
        if "://" not in url:
            url = (catalog_path.parent / url).as_posix()
        rows.append(
            {
                "scene": name,
                "start": fields["start"],
                "stop": fields["stop"],
                "platform": rec.get("platform", fields["platform"]).replace("Sentinel-1", "S1"),
                "relative_orbit": int(rec.get("pathNumber") or relative_orbit(fields["platform"], fields["orbit"])),
                "absolute_orbit": int(rec.get("absoluteOrbit", fields["absolute_orbit"])),
                "flight_direction": rec.get("flightDirection", "").upper(),
                "url": url,
                "bytes": int(rec["bytes"]) if rec.get("bytes") is not None else None,
                "md5": rec.get("md5sum"),
            }
        )
        footprints.append(shapely_wkt.loads(rec["wkt"]) if rec.get("wkt") else None)
    if not rows:
        return pd.DataFrame(columns=SCENE_COLUMNS)
    table = pd.DataFrame(rows)
    return filter_scenes(table, start, end, flight_direction, footprints, study_box, relative_orbits, skipped)


def search_folder(
    folder: str | Path,
    start: str,
    end: str,
    flight_direction: str | None,
    study_box: tuple[float, float, float, float],
    relative_orbits: Sequence[int] | None = None,
    skipped: list[SkippedScene] | None = None,
) -> pd.DataFrame:
    """Scenes in a folder of GRD zips or ``.SAFE`` folders (the ``local`` source).

    Direction and footprint come from each product's ``manifest.safe``. Paths are listed as the
    folder is given: relative to the working directory when the folder is. A product that cannot be
    read (a truncated or corrupt zip, a folder without its manifest) is left out, logged and added to
    ``skipped`` with what to do; the others are listed.

    Raises:
        FileNotFoundError: if the folder does not exist.
    """
    from sar2ndvi.sentinel1.safe import SafeProduct

    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"{folder}: Sentinel-1 folder not found; set local.sentinel1 to your products")
    rows, footprints = [], []
    for path in sorted([*folder.glob("S1*_IW_GRD*.zip"), *folder.glob("S1*_IW_GRD*.SAFE")]):
        fields = parse_granule(path.name)
        try:
            product = SafeProduct(path)
            info = product.info
            footprint = getattr(product, "footprint", None)
        except (zipfile.BadZipFile, OSError, ValueError, KeyError) as err:
            reason = f"{path} cannot be read ({err}); download it again, or remove it from the folder"
            _skip(product_name(path), reason, skipped)
            continue
        rows.append(
            {
                "scene": product_name(path),
                "start": fields["start"],
                "stop": fields["stop"],
                "platform": fields["platform"],
                "relative_orbit": relative_orbit(fields["platform"], fields["absolute_orbit"]),
                "absolute_orbit": fields["absolute_orbit"],
                "flight_direction": str(info.pass_direction).upper(),
                "url": path.as_posix(),
                "bytes": path.stat().st_size if path.is_file() else None,
                "md5": None,
            }
        )
        footprints.append(footprint)
    if not rows:
        return pd.DataFrame(columns=SCENE_COLUMNS)
    table = pd.DataFrame(rows)
    return filter_scenes(table, start, end, flight_direction, footprints, study_box, relative_orbits, skipped)


def fetch_scene(record: dict, dest: str | Path, polarisations: Sequence[str] = ("VV", "VH")) -> Path:
    """Unpack one scene's product into the ``.SAFE`` folder ``dest``, straight from the listed zip or folder.

    A zip is first checked against the listed size and MD5; unpacking then checks the CRC of every
    member it writes (:func:`sar2ndvi.sentinel1.layout.unpack_product`: only the files the σ0 step
    reads, for ``polarisations``). Nothing is copied besides, and a failure leaves no ``dest``.

    Raises:
        FileNotFoundError: if the listed product is missing.
        VerificationError: if the zip's size or MD5 differs from the listing.
        sar2ndvi.sentinel1.layout.DamagedProductError: if a member fails its CRC.
    """
    url = str(record["url"])
    if "://" in url:
        raise ValueError(f"{record['scene']}: {url} is remote; the demo and local sources fetch only local files")
    source = Path(url)
    if not source.exists():
        raise FileNotFoundError(f"{source}: listed by the search but missing; rerun the search")
    bytes_ = record.get("bytes")
    md5 = record.get("md5")
    if source.is_file():
        try:
            verify_file(
                source,
                None if bytes_ is None or pd.isna(bytes_) else int(bytes_),
                None if (md5 is None or (isinstance(md5, float) and pd.isna(md5))) else str(md5),
                test_archive=False,
            )
        except VerificationError as err:
            raise VerificationError(
                f"{err}; the product changed since the search or is corrupt: search again or replace it"
            ) from err
    return unpack_product(source, dest, polarisations)
