"""Writing the demo archive: what ASF, Earth Engine, Planet, MAFF and a DEM provider would deliver.

Layout under the store folder:

- ``sentinel1/<granule>.zip`` and ``sentinel1/catalog.json`` (ASF search-result fields);
- ``sentinel2/<system:index>.tif`` (B4, B8 ×10,000 TOA, s2cloudless probability) and ``catalog.json``;
- ``planet/<id>_3B_AnalyticMS_SR.tif`` (blue, green, red, NIR ×10,000 at 3 m), ``_3B_udm2.tif``, ``_metadata.json``;
- ``maff/fude_104434_2017.geojson`` (JGD2011, MAFF attribute schema);
- ``dem/dem.tif`` (EGM96 heights, EPSG:4326, 1″ like Copernicus GLO-30);
- ``README.md`` naming the world as synthetic, with its seed.
"""

from __future__ import annotations

import json
import logging
import uuid
from concurrent.futures import ProcessPoolExecutor
from datetime import datetime, timedelta
from multiprocessing import get_context
from pathlib import Path

import numpy as np
import rasterio
from affine import Affine
from pyproj import Transformer
from shapely import transform as shapely_transform
from shapely.geometry import mapping

from sar2ndvi.demo import sentinel1 as s1
from sar2ndvi.demo.world import CROP, FOREST, DemoSpec, World
from sar2ndvi.grid import AreaGrid
from sar2ndvi.io import atomic_path, write_json
from sar2ndvi.sources.transfer import md5sum

log = logging.getLogger(__name__)


def _write_tif(path: Path, data: np.ndarray, transform: Affine, crs: str, dtype: str, nodata, descriptions=None):
    with atomic_path(path, suffix=".tif") as tmp:
        with rasterio.open(
            tmp,
            "w",
            driver="GTiff",
            count=data.shape[0],
            height=data.shape[1],
            width=data.shape[2],
            dtype=dtype,
            crs=crs,
            transform=transform,
            nodata=nodata,
            tiled=True,
            blockxsize=256,
            blockysize=256,
            compress="deflate",
        ) as dst:
            dst.write(data.astype(dtype))
            for band, text in enumerate(descriptions or [], start=1):
                dst.set_band_description(band, text)


def write_sentinel1(world: World, out: Path, track: int) -> list[dict]:
    """The Sentinel-1 products of one track and their ASF-style catalogue records."""
    folder = out / "sentinel1"
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng([world.spec.seed, 11, track])
    relative, incidence = world.spec.tracks[track]
    g = s1.track_geometry(world, relative, incidence)
    index = world.parcel_index(g.fine_grid)
    records = []
    for scene in (s for s in s1.scene_list(world) if s.track == track):
        path = s1.write_product(world, scene, g, index, folder, rng)
        geo = g.geolocation
        corners = [0, 20, len(geo["lat"]) - 1, len(geo["lat"]) - 21, 0]
        wkt = "POLYGON((" + ", ".join(f"{geo['lon'][i]:.6f} {geo['lat'][i]:.6f}" for i in corners) + "))"
        records.append(
            {
                "sceneName": scene.name,
                "fileName": path.name,
                "url": f"{path.name}",
                "bytes": path.stat().st_size,
                "md5sum": md5sum(path),
                "startTime": scene.start.isoformat() + "Z",
                "stopTime": scene.stop.isoformat() + "Z",
                "flightDirection": "DESCENDING",
                "polarization": "VV+VH",
                "beamModeType": "IW",
                "processingLevel": "GRD_HD",
                "platform": f"Sentinel-1{scene.mission[-1]}",
                "pathNumber": relative,
                "frameNumber": 111,
                "absoluteOrbit": scene.absolute_orbit,
                "wkt": wkt,
            }
        )
    return records


def write_sentinel2(world: World, out: Path) -> list[dict]:
    """Earth Engine-like S2 L1C exports on the world grid, some of them cloudy."""
    folder = out / "sentinel2"
    folder.mkdir(parents=True, exist_ok=True)
    spec = world.spec
    rng = np.random.default_rng(spec.seed + 21)
    grid = world.extent
    index = world.parcel_index(grid)
    xs, ys = grid.pixel_centres()
    records = []
    for day in world.days(spec.s2_revisit_days, 2):
        cover = float(rng.uniform(0.2, 0.9)) if rng.random() < spec.s2_cloudy_fraction else float(rng.uniform(0, 0.03))
        ndvi = world.ndvi(day, grid, index)
        red, nir = world.surface_reflectance(ndvi)
        red_toa, nir_toa = red + 0.035, nir + 0.012
        cloud = world.cloud_probability(day, xs, ys, cover)
        opacity = np.clip((cloud - 30) / 50, 0, 1)
        red_toa = red_toa * (1 - opacity) + 0.42 * opacity
        nir_toa = nir_toa * (1 - opacity) + 0.44 * opacity
        noise = rng.normal(0, 0.003, (2, *grid.shape))
        bands = np.stack([(red_toa + noise[0]) * 1e4, (nir_toa + noise[1]) * 1e4, np.rint(cloud)])
        acquired = datetime(day.year, day.month, day.day, 1, 26, 51)
        name = f"{acquired:%Y%m%dT%H%M%S}_{acquired:%Y%m%dT%H%M%S}_T54SUE"
        _write_tif(
            folder / f"{name}.tif",
            np.clip(bands, 1, 10000),
            grid.transform,
            grid.crs,
            "uint16",
            0,
            ["B4", "B8", "probability"],
        )
        records.append(
            {
                "id": name,
                "date": day.isoformat(),
                "CLOUDY_PIXEL_PERCENTAGE": round(100 * cover, 1),
                "path": f"{name}.tif",
            }
        )
    write_json(folder / "catalog.json", records)
    return records


def write_planet(world: World, out: Path) -> list[str]:
    """PlanetScope-like 4-band SR scenes at 3 m over the train, validation and test areas."""
    folder = out / "planet"
    folder.mkdir(parents=True, exist_ok=True)
    spec = world.spec
    rng = np.random.default_rng(spec.seed + 31)
    boxes = [g.bounds for name, g in world.area_grids.items() if name != "pretrain"]
    west = min(b[0] for b in boxes) - 200
    south = min(b[1] for b in boxes) - 200
    east = max(b[2] for b in boxes) + 200
    north = max(b[3] for b in boxes) + 200
    grid = AreaGrid("planet", spec.crs, 3.0, west, north, int((east - west) // 3), int((north - south) // 3))
    index = world.parcel_index(grid)
    span = (spec.last_day - spec.first_day).days
    offsets = np.unique(np.linspace(1, span - 1, spec.planet_dates).round().astype(int))
    names = []
    for offset in offsets:
        day = spec.first_day + timedelta(days=int(offset))
        ndvi = world.ndvi(day, grid, index)
        planet = world.planet_ndvi(ndvi, rng.normal(0, 0.012, grid.shape))
        red = world.surface_reflectance(ndvi)[0] * 0.92
        nir = red * (1 + planet) / (1 - planet)
        blue, green = red * 0.8 + 0.01, red * 1.1 + 0.015
        acquired = datetime(day.year, day.month, day.day, 1, 12, 30) + timedelta(seconds=int(rng.integers(0, 3000)))
        stem = f"{acquired:%Y%m%d_%H%M%S}_{int(rng.integers(0x0F00, 0x1100)):04x}"
        bands = np.stack([blue, green, red, nir]) * 1e4
        _write_tif(
            folder / f"{stem}_3B_AnalyticMS_SR.tif",
            np.clip(bands, 1, 10000),
            grid.transform,
            grid.crs,
            "uint16",
            0,
            ["blue", "green", "red", "nir"],
        )
        udm = np.zeros((8, *grid.shape), np.uint8)
        udm[0] = 1
        _write_tif(
            folder / f"{stem}_3B_udm2.tif",
            udm,
            grid.transform,
            grid.crs,
            "uint8",
            None,
            ["clear", "snow", "shadow", "light haze", "heavy haze", "cloud", "confidence", "unusable"],
        )
        write_json(
            folder / f"{stem}_metadata.json",
            {
                "id": stem,
                "properties": {
                    "acquired": acquired.isoformat() + "Z",
                    "instrument": "PS2",
                    "item_type": "PSScene4Band",
                    "satellite_id": stem.split("_")[-1],
                },
            },
        )
        names.append(stem)
    return names


def write_fude(world: World, out: Path) -> Path:
    """MAFF fude polygons of the world's upland fields and paddies, JGD2011 (EPSG:6668)."""
    folder = out / "maff"
    folder.mkdir(parents=True, exist_ok=True)
    to_jgd = Transformer.from_crs(world.spec.crs, "EPSG:6668", always_xy=True)
    west, south, east, north = world.extent.bounds
    rng = np.random.default_rng(world.spec.seed + 41)
    features = []
    for polygon, kind in zip(world.polygons, world.kinds, strict=True):
        if kind == FOREST:
            continue
        c = polygon.centroid
        if not (west < c.x < east and south < c.y < north):
            continue
        geom = shapely_transform(polygon, lambda xy: np.c_[to_jgd.transform(xy[:, 0], xy[:, 1])])
        point = polygon.representative_point()
        lng, lat = to_jgd.transform(point.x, point.y)
        uid = str(uuid.UUID(int=int(rng.integers(0, 2**63)) << 64 | int(rng.integers(0, 2**63)), version=4))
        history = json.dumps([{"筆ポリゴンID": uid, "更新年度": 2017, "前年同一": True}], ensure_ascii=False)
        features.append(
            {
                "type": "Feature",
                "geometry": mapping(geom),
                "properties": {
                    "polygon_uuid": uid,
                    "land_type": 200 if kind == CROP else 100,
                    "issue_year": 2017,
                    "edit_year": 2016,
                    "history": history,
                    "last_polygon_uuid": uid,
                    "prev_last_polygon_uuid": uid,
                    "local_government_cd": "104434",
                    "point_lng": round(lng, 7),
                    "point_lat": round(lat, 7),
                },
            }
        )
    collection = {
        "type": "FeatureCollection",
        "name": "fude_104434_2017",
        "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::6668"}},
        "features": features,
    }
    path = folder / "fude_104434_2017.geojson"
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(collection, ensure_ascii=False))
    return path


def write_dem(world: World, out: Path) -> Path:
    """EGM96 heights on a 1 arc-second EPSG:4326 grid covering the world (Copernicus GLO-30 style)."""
    west, south, east, north = world.extent.lonlat_bounds()
    step = 1.0 / 3600.0
    west, north = np.floor(west / step) * step - 20 * step, np.ceil(north / step) * step + 20 * step
    cols = int(np.ceil((east - west) / step)) + 20
    rows = int(np.ceil((north - south) / step)) + 20
    lons = west + (np.arange(cols) + 0.5) * step
    lats = north - (np.arange(rows) + 0.5) * step
    lon, lat = np.meshgrid(lons, lats)
    x, y = Transformer.from_crs("EPSG:4326", world.spec.crs, always_xy=True).transform(lon, lat)
    heights = world.orthometric_height(x, y).astype(np.float32)[None]
    path = out / "dem" / "dem.tif"
    path.parent.mkdir(parents=True, exist_ok=True)
    _write_tif(
        path,
        heights,
        Affine(step, 0, west, 0, -step, north),
        "EPSG:4326",
        "float32",
        -32767.0,
        ["height above EGM96 geoid (m)"],
    )
    return path


def _task(spec: DemoSpec, out: Path, name: str, arg: int | None):
    world = World(spec)
    if name == "sentinel1":
        return name, write_sentinel1(world, out, arg)
    if name == "sentinel2":
        return name, len(write_sentinel2(world, out))
    if name == "planet":
        return name, len(write_planet(world, out))
    return name, [write_fude(world, out).name, write_dem(world, out).name]


def build_demo_store(spec: DemoSpec, out: str | Path, workers: int = 1) -> dict:
    """Write the whole demo archive under ``out`` with ``workers`` processes; return a summary."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    tasks = [("sentinel1", k) for k in range(len(spec.tracks))] + [
        ("sentinel2", None),
        ("planet", None),
        ("rest", None),
    ]
    if workers > 1:
        with ProcessPoolExecutor(max_workers=workers, mp_context=get_context("spawn")) as pool:
            results = list(pool.map(_task, *zip(*[(spec, out, name, arg) for name, arg in tasks], strict=True)))
    else:
        results = [_task(spec, out, name, arg) for name, arg in tasks]
    records = sorted((r for name, part in results if name == "sentinel1" for r in part), key=lambda r: r["startTime"])
    write_json(out / "sentinel1" / "catalog.json", records)
    summary = {"seed": spec.seed, "sentinel1": len(records)}
    for name, part in results:
        if name in ("sentinel2", "planet"):
            summary[name] = part
        elif name == "rest":
            summary["fude"], summary["dem"] = part
    (out / "README.md").write_text(
        "# sar2ndvi demo archive\n\n"
        f"A synthetic world of Tsumagoi (Gunma), generated with seed {spec.seed} by sar2ndvi.demo, "
        "in the file formats of ASF (Sentinel-1 GRD SAFE zips), Earth Engine (Sentinel-2 exports), Planet "
        "(PlanetScope SR + UDM2), MAFF (fude polygons) and a GLO-30-like DEM. No real observation is in it.\n\n"
        f"Contents: {json.dumps(summary)}.\n"
    )
    log.info("demo archive: %s", summary)
    return summary


__all__ = ["build_demo_store"]
