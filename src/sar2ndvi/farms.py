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
about one 10 m pixel) and reports its accuracy.
"""

from __future__ import annotations

import logging
import zipfile
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


def read_fude(path: str | Path) -> gpd.GeoDataFrame:
    """Read MAFF fude polygons from GeoJSON, FlatGeobuf, GeoParquet, GeoPackage or a zip of one of them.

    Raises:
        FileNotFoundError: if ``path`` does not exist.
        ValueError: naming the file, if it has no CRS, no polygons or lacks MAFF's attributes.
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
    if frame.crs is None:
        raise ValueError(
            f"{path}: the fude polygons declare no CRS; MAFF files are in JGD2011 (EPSG:6668) or the "
            "Tokyo datum (EPSG:4301): add the CRS to the file"
        )
    missing = [c for c in FUDE_COLUMNS if c not in frame.columns]
    if missing:
        raise ValueError(f"{path}: not a MAFF fude polygon file, missing attribute(s) {', '.join(missing)}")
    frame = frame[frame.geometry.notna() & ~frame.geometry.is_empty]
    if frame.empty:
        raise ValueError(f"{path}: holds no polygons")
    frame["land_type"] = frame["land_type"].astype(int)
    return frame


def read_fude_source(source: str | Path) -> gpd.GeoDataFrame:
    """Fude polygons from one file or from every supported file of a folder (MAFF ships one per municipality).

    Files are reprojected to the first file's CRS when they differ, and a parcel present in several
    files (same ``polygon_uuid``) is kept once.

    Raises:
        FileNotFoundError: if ``source`` does not exist or a folder holds no supported file.
        ValueError: as :func:`read_fude`.
    """
    source = Path(source)
    if not source.is_dir():
        return read_fude(source)
    files = sorted(p for p in source.iterdir() if p.suffix.lower() in SUPPORTED_SUFFIXES)
    if not files:
        raise FileNotFoundError(
            f"{source}: no fude polygon file ({', '.join(SUPPORTED_SUFFIXES)}) in the folder; set local.farms "
            "to MAFF's downloaded files"
        )
    frames = [read_fude(path) for path in files]
    crs = frames[0].crs
    merged = gpd.GeoDataFrame(
        gpd.pd.concat([to_grid_crs(f, crs) for f in frames], ignore_index=True), crs=crs, geometry="geometry"
    )
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

    Operations PROJ marks as 'ballpark' (no datum shift) are used only if nothing else exists.
    """
    group = TransformerGroup(CRS.from_user_input(source), CRS.from_user_input(target), always_xy=True)
    candidates = [t for t in group.transformers if "ballpark" not in t.description.lower()]
    if not candidates:
        candidates = list(group.transformers)
    chosen = candidates[0]
    accuracy = chosen.accuracy if chosen.accuracy and chosen.accuracy > 0 else None
    return chosen, accuracy


def to_grid_crs(frame: gpd.GeoDataFrame, crs: str) -> gpd.GeoDataFrame:
    """Reproject polygons to ``crs`` with the best real datum transformation (see module doc)."""
    source = CRS.from_user_input(frame.crs)
    target = CRS.from_user_input(crs)
    if source == target:
        return frame
    transformer, accuracy = best_datum_transformer(source, target)
    log.info(
        "fude polygons %s -> %s with '%s' (accuracy %s m)",
        source.to_string(),
        target.to_string(),
        transformer.description,
        "unknown" if accuracy is None else f"{accuracy:g}",
    )
    out = frame.copy()
    out["geometry"] = shapely.transform(np.asarray(frame.geometry.values), transformer.transform, interleaved=False)
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
