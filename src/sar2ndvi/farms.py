"""Farm masks from MAFF fude polygons (筆ポリゴン).

MAFF publishes farmland parcels as GeoJSON (also FlatGeobuf / GeoParquet in some releases), in
JGD2011 (EPSG:6668) for recent years and in JGD2000 (EPSG:4612) or the old Tokyo datum (EPSG:4301) in
older releases and derived files. GeoParquet is read with pyarrow, the others with GDAL (pyogrio).
``land_type`` 100 is paddy (田) and 200 upland field (畑); the cabbage fields of Tsumagoi are upland fields.

Datum handling: Tokyo-datum coordinates differ from JGD2011 by about 450 m around Gunma. PROJ's best
Tokyo → JGD2011 operation uses the TKY2JGD grid (``tky2jgd.gsb``, about 0.1 m) when it is installed in
PROJ's data folder; without it, PROJ would silently fall back to a 'ballpark' operation that applies
no shift at all. :func:`to_grid_crs` therefore picks the best operation that actually shifts the
datum (without the grid: the 'Tokyo to WGS 84 (108)' Helmert transformation, accuracy about 9 m,
about one 10 m pixel) and reports its accuracy. Where PROJ knows only a 'ballpark' operation between
two datums (Tokyo → JGD2011 without the grid), it goes through WGS 84 by two real ones; with no real
operation at all it refuses rather than place parcels hundreds of metres off.

A CRS must be declared: a GeoJSON without a ``crs`` member is WGS 84 by its standard (RFC 7946), and
GDAL reads it so, but a MAFF file stripped of its ``crs`` may be in the Tokyo datum. Such a file is
refused unless the caller names its datum (``farms.crs``).
"""

from __future__ import annotations

import json
import logging
import zipfile
from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyogrio
import shapely
from pyproj import CRS
from pyproj.transformer import TransformerGroup
from rasterio import features

from sar2ndvi.grid import AreaGrid

log = logging.getLogger(__name__)

FUDE_COLUMNS = ("polygon_uuid", "land_type")
SUPPORTED_SUFFIXES = (".geojson", ".json", ".fgb", ".parquet", ".gpkg", ".zip")
_ZIP_MEMBER_SUFFIXES = (".geojson", ".json", ".fgb", ".parquet", ".gpkg")


def geojson_declares_crs(path: str | Path) -> bool:
    """Whether a GeoJSON file has a top-level ``crs`` member (GDAL reads one without it as WGS 84)."""
    with open(path, "rb") as handle:
        head = handle.read(65536)
    features = head.find(b'"features"')
    crs = head.find(b'"crs"')
    if crs >= 0 and (features < 0 or crs < features):
        return True
    if features >= 0 and len(head) < 65536:
        return False
    # the member may follow the features in a large file: parse it all
    return "crs" in json.loads(Path(path).read_bytes())


def read_fude(path: str | Path, undeclared_crs: str | None = None) -> gpd.GeoDataFrame:
    """Read MAFF fude polygons from GeoJSON, FlatGeobuf, GeoParquet, GeoPackage or a zip of one of them.

    Args:
        path: the file.
        undeclared_crs: the CRS of a file that declares none (a GeoJSON without ``crs``); None:
            such a file is refused.

    Raises:
        FileNotFoundError: if ``path`` does not exist.
        ValueError: naming the file, if it declares no CRS (and ``undeclared_crs`` is None), holds no
            polygons or lacks MAFF's attributes.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path}: fude polygon file not found; set local.farms to a MAFF fude file")
    if path.suffix.lower() not in SUPPORTED_SUFFIXES:
        raise ValueError(f"{path}: unsupported fude file type; give one of {', '.join(SUPPORTED_SUFFIXES)}")
    if path.suffix.lower() == ".parquet":
        frame = gpd.read_parquet(path)
    elif path.suffix.lower() == ".zip":
        frame = _read_zip(path)
    else:
        frame = gpd.read_file(path, engine="pyogrio")
        if path.suffix.lower() in (".geojson", ".json") and not geojson_declares_crs(path):
            frame = frame.set_crs(None, allow_override=True)
    if frame.crs is None:
        if undeclared_crs is None:
            raise ValueError(
                f"{path}: the fude polygons declare no CRS (a GeoJSON without a 'crs' member would be read as "
                "WGS 84), but MAFF's files are in JGD2011 (EPSG:6668) or the Tokyo datum (EPSG:4301), about "
                "450 m apart in Gunma: set farms.crs to the files' CRS, or add the 'crs' member to the file"
            )
        log.warning("%s declares no CRS: read as %s (farms.crs)", path.name, undeclared_crs)
        frame = frame.set_crs(undeclared_crs)
    frame = frame[frame.geometry.notna() & ~frame.geometry.is_empty] if len(frame.columns) else frame
    if frame.empty:
        raise ValueError(f"{path}: holds no polygons; download the municipality's fude file again")
    missing = [c for c in FUDE_COLUMNS if c not in frame.columns]
    if missing:
        raise ValueError(f"{path}: not a MAFF fude polygon file, missing attribute(s) {', '.join(missing)}")
    frame["land_type"] = frame["land_type"].astype(int)
    return frame


def read_fude_source(source: str | Path, crs: str, undeclared_crs: str | None = None) -> gpd.GeoDataFrame:
    """Fude polygons in ``crs`` from one file or every supported file of a folder (MAFF ships one per municipality).

    Each file is reprojected from its own CRS (files of one folder may be in different datums), and
    a parcel present in several files (same ``polygon_uuid``) is kept once.

    Raises:
        FileNotFoundError: if ``source`` does not exist or a folder holds no supported file.
        ValueError: as :func:`read_fude` and :func:`to_grid_crs`.
    """
    source = Path(source)
    if not source.is_dir():
        return to_grid_crs(read_fude(source, undeclared_crs), crs, source)
    files = sorted(p for p in source.iterdir() if p.suffix.lower() in SUPPORTED_SUFFIXES)
    if not files:
        raise FileNotFoundError(
            f"{source}: no fude polygon file ({', '.join(SUPPORTED_SUFFIXES)}) in the folder; set local.farms "
            "to MAFF's downloaded files"
        )
    frames = [to_grid_crs(read_fude(path, undeclared_crs), crs, path) for path in files]
    merged = gpd.GeoDataFrame(gpd.pd.concat(frames, ignore_index=True), crs=crs, geometry="geometry")
    return merged.drop_duplicates(subset="polygon_uuid", keep="first").reset_index(drop=True)


def _read_zip(path: Path) -> gpd.GeoDataFrame:
    with zipfile.ZipFile(path) as archive:
        bad = archive.testzip()
        if bad is not None:
            raise ValueError(f"{path}: corrupt zip member {bad}; download the file again")
        members = [n for n in archive.namelist() if Path(n).suffix.lower() in _ZIP_MEMBER_SUFFIXES]
    if not members:
        raise ValueError(f"{path}: the zip holds no GeoJSON, FlatGeobuf, GeoParquet or GeoPackage file")
    frames = [_read_zip_member(path, member) for member in sorted(members)]
    crs = {f.crs for f in frames}
    if len(crs) != 1:
        raise ValueError(f"{path}: members are in different CRSs {crs}")
    return gpd.GeoDataFrame(gpd.pd.concat(frames, ignore_index=True), crs=frames[0].crs)


def _read_zip_member(path: Path, member: str) -> gpd.GeoDataFrame:
    if member.lower().endswith(".parquet"):
        with zipfile.ZipFile(path) as archive, archive.open(member) as handle:
            return gpd.read_parquet(handle)
    return gpd.read_file(f"zip://{path.resolve()}!{member}", engine="pyogrio")


def best_datum_transformer(source: CRS | str, target: CRS | str) -> tuple[object, float | None]:
    """The most accurate available PROJ operation that really changes datum, and its accuracy (m).

    Operations PROJ marks as 'ballpark' (no datum shift) are returned only if nothing else exists.
    """
    group = TransformerGroup(CRS.from_user_input(source), CRS.from_user_input(target), always_xy=True)
    candidates = [t for t in group.transformers if not _ballpark(t)]
    if not candidates:
        candidates = list(group.transformers)
    chosen = candidates[0]
    accuracy = chosen.accuracy if chosen.accuracy and chosen.accuracy > 0 else None
    return chosen, accuracy


def _ballpark(transformer: object) -> bool:
    return "ballpark" in transformer.description.lower()


def datum_transform(
    source: CRS | str, target: CRS | str, what: str | Path = "polygons"
) -> tuple[Callable, str, float | None]:
    """(x, y) → (x, y) from ``source`` to ``target`` by real datum operations, its description and accuracy (m).

    Where PROJ has only a 'ballpark' operation between two datums, the transformation goes through
    WGS 84 by two real ones (Tokyo → WGS 84 → JGD2011 by the Helmert 'Tokyo to WGS 84 (108)').

    Raises:
        ValueError: naming ``what`` if no real operation exists between the two datums.
    """
    source, target = CRS.from_user_input(source), CRS.from_user_input(target)
    direct, accuracy = best_datum_transformer(source, target)
    if not _ballpark(direct) or _same_datum(source, target):
        return direct.transform, direct.description, accuracy
    to_wgs84, first = best_datum_transformer(source, "EPSG:4326")
    from_wgs84, second = best_datum_transformer("EPSG:4326", target)
    if _ballpark(to_wgs84) or _ballpark(from_wgs84):
        raise ValueError(
            f"{what}: PROJ knows no datum transformation from {source.name} to {target.name}, only a 'ballpark' "
            "one that would leave the parcels hundreds of metres off; install PROJ's datum grids (projsync) or "
            "give the files in JGD2011 (EPSG:6668)"
        )

    def through_wgs84(x, y):
        return from_wgs84.transform(*to_wgs84.transform(x, y))

    total = None if first is None or second is None else first + second
    return through_wgs84, f"{to_wgs84.description}, then {from_wgs84.description}", total


def _same_datum(source: CRS, target: CRS) -> bool:
    a, b = source.geodetic_crs, target.geodetic_crs
    return a is not None and b is not None and a.datum == b.datum


def to_grid_crs(frame: gpd.GeoDataFrame, crs: str, what: str | Path = "polygons") -> gpd.GeoDataFrame:
    """Reproject polygons to ``crs`` with the best real datum transformation (see module doc).

    Raises:
        ValueError: naming ``what`` if PROJ has no real datum transformation (:func:`datum_transform`).
    """
    source = CRS.from_user_input(frame.crs)
    target = CRS.from_user_input(crs)
    if source == target:
        return frame
    transform, description, accuracy = datum_transform(source, target, what)
    log.info(
        "fude polygons %s -> %s with '%s' (accuracy %s m)",
        source.to_string(),
        target.to_string(),
        description,
        "unknown" if accuracy is None else f"{accuracy:g}",
    )
    out = frame.copy()
    out["geometry"] = shapely.transform(np.asarray(frame.geometry.values), transform, interleaved=False)
    return out.set_crs(target, allow_override=True)


def farm_parcels(frame: gpd.GeoDataFrame, land_types: list[int], crs: str) -> gpd.GeoDataFrame:
    """Polygons of the selected ``land_types`` in ``crs``, with an integer ``parcel_id`` from 1."""
    selected = frame[frame["land_type"].isin(land_types)].copy()
    selected = to_grid_crs(selected, crs)
    selected["parcel_id"] = np.arange(1, len(selected) + 1, dtype=np.int32)
    return selected


def rasterize_parcels(parcels: gpd.GeoDataFrame, grid: AreaGrid) -> np.ndarray:
    """Parcel ids (int32, 0 = not farm) on ``grid``; a pixel belongs to the parcel holding its centre.

    Raises:
        ValueError: if the parcels are not in the grid's CRS.
    """
    if CRS.from_user_input(parcels.crs) != CRS.from_user_input(grid.crs):
        raise ValueError(f"parcels are in {parcels.crs}, the grid {grid.name!r} in {grid.crs}: reproject first")
    shapes = [(geom, int(pid)) for geom, pid in zip(parcels.geometry, parcels["parcel_id"], strict=True)]
    if not shapes:
        return np.zeros(grid.shape, dtype=np.int32)
    return features.rasterize(
        shapes, out_shape=grid.shape, transform=grid.transform, fill=0, dtype="int32", all_touched=False
    )


def write_parcels(parcels: gpd.GeoDataFrame, path: str | Path) -> None:
    """Write parcels as a GeoPackage, atomically."""
    from sar2ndvi.io import atomic_path

    with atomic_path(path, suffix=".gpkg") as tmp:
        tmp.unlink()
        pyogrio.write_dataframe(parcels, tmp, driver="GPKG", layer="parcels")
