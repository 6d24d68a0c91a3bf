"""Writing the demo archive: what ASF, Earth Engine, Planet, MAFF and a DEM provider would deliver.

Layout under the store folder:

- ``sentinel1/<granule>.zip`` (zipped IW GRDH SAFE) and ``sentinel1/catalog.json`` (ASF search-result fields);
- ``sentinel2/<system:index>.tif`` (B4, B8 ×10,000 TOA, s2cloudless probability) and ``catalog.json``;
- ``planet/<id>_3B_AnalyticMS_SR.tif`` (blue, green, red, NIR ×10,000 at 3 m), ``_3B_udm2.tif``, ``_metadata.json``;
- ``maff/fude_104434_2017.geojson`` (JGD2011, MAFF attribute schema);
- ``dem/dem.tif`` (EGM96 heights, EPSG:4326, 1″ like Copernicus GLO-30);
- ``truth/parcels.geojson`` (EPSG:32654: parcel id, kind, crop yes/no) for checks against the world;
- ``README.md`` naming the world as synthetic, with its seed.
"""

from __future__ import annotations

import json
import logging
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

import numpy as np
from affine import Affine
from pyproj import Transformer
from shapely.geometry import mapping

from sar2ndvi.demo import sentinel1 as s1
from sar2ndvi.demo.farms import write_fude
from sar2ndvi.demo.optical import write_planet, write_sentinel2
from sar2ndvi.demo.world import CROP, FOREST, PADDY, DemoSpec, World
from sar2ndvi.io import atomic_path, write_geotiff, write_json
from sar2ndvi.sources.transfer import md5sum

log = logging.getLogger(__name__)
KIND_NAMES = {CROP: "cabbage", PADDY: "paddy", FOREST: "forest"}


def write_sentinel1(world: World, out: Path, track: int) -> list[dict]:
    """The Sentinel-1 products of one track and their ASF-style catalogue records."""
    folder = out / "sentinel1"
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng([world.spec.seed, 11, track])
    relative, incidence = world.spec.tracks[track]
    g = s1.track_geometry(world, relative, incidence)
    records = []
    for scene in (s for s in s1.scene_list(world) if s.track == track):
        path = s1.write_product(world, scene, g, folder, rng, world.spec.s1_ipf_version)
        geo = g.geolocation
        corners = [0, 20, len(geo["lat"]) - 1, len(geo["lat"]) - 21, 0]
        wkt = "POLYGON((" + ", ".join(f"{geo['lon'][i]:.6f} {geo['lat'][i]:.6f}" for i in corners) + "))"
        records.append(
            {
                "sceneName": scene.name,
                "fileName": path.name,
                "url": path.name,
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
    write_geotiff(
        path,
        heights,
        Affine(step, 0, west, 0, -step, north),
        "EPSG:4326",
        "float32",
        -32767.0,
        ["height above EGM96 geoid (m)"],
    )
    return path


def write_truth(world: World, out: Path) -> Path:
    """``truth/parcels.geojson``: every parcel of the world (EPSG:32654) with its id, kind and crop flag."""
    features = [
        {
            "type": "Feature",
            "geometry": mapping(polygon),
            "properties": {"parcel_id": i + 1, "kind": KIND_NAMES[int(kind)], "crop": bool(kind == CROP)},
        }
        for i, (polygon, kind) in enumerate(zip(world.polygons, world.kinds, strict=True))
    ]
    collection = {
        "type": "FeatureCollection",
        "name": "parcels",
        "crs": {"type": "name", "properties": {"name": f"urn:ogc:def:crs:EPSG::{world.spec.crs.split(':')[1]}"}},
        "features": features,
    }
    path = out / "truth" / "parcels.geojson"
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(collection))
    return path


def _task(spec: DemoSpec, out: Path, name: str, arg: int | None):
    world = World(spec)
    if name == "sentinel1":
        return name, write_sentinel1(world, out, arg)
    if name == "sentinel2":
        return name, len(write_sentinel2(world, out))
    if name == "planet":
        return name, len(write_planet(world, out))
    return name, [write_fude(world, out).name, write_dem(world, out).name, write_truth(world, out).name]


def build_demo_store(spec: DemoSpec, out: str | Path, workers: int | None = None) -> dict:
    """Write the whole demo archive under ``out``; return a summary of what was written.

    Args:
        spec: what the world covers and how often each sensor sees it.
        out: the store folder (created).
        workers: processes to use (default ``spec.workers``); the output does not depend on it.
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    workers = spec.workers if workers is None else workers
    # the Sentinel-1 tracks take longest: start them first
    tasks = [("sentinel1", k) for k in range(len(spec.tracks))] + [
        ("sentinel2", None),
        ("planet", None),
        ("rest", None),
    ]
    if workers > 1:
        with ProcessPoolExecutor(max_workers=workers, mp_context=get_context("spawn")) as pool:
            futures = [pool.submit(_task, spec, out, name, arg) for name, arg in tasks]
            results = [f.result() for f in futures]
    else:
        results = [_task(spec, out, name, arg) for name, arg in tasks]
    records = sorted((r for name, part in results if name == "sentinel1" for r in part), key=lambda r: r["startTime"])
    write_json(out / "sentinel1" / "catalog.json", records)
    summary: dict = {"seed": spec.seed, "sentinel1": len(records)}
    for name, part in results:
        if name in ("sentinel2", "planet"):
            summary[name] = part
        elif name == "rest":
            summary["fude"], summary["dem"], summary["truth"] = part
    readme = (
        "# sar2ndvi demo archive\n\n"
        f"A synthetic world of Tsumagoi (Gunma, Japan), generated deterministically with seed {spec.seed} by "
        "`python -m sar2ndvi.demo` (module sar2ndvi.demo). Terrain, farm parcels, cabbage phenology, soil "
        "moisture, backscatter (water-cloud model) and reflectance come from an analytic model; they are "
        "written in the file formats of ASF (Sentinel-1 IW GRDH SAFE zips), Earth Engine (Sentinel-2 L1C "
        "exports), Planet (PlanetScope SR + UDM2), MAFF (fude polygons) and a GLO-30-like DEM. "
        "No real observation is in it.\n\n"
        f"Study period {spec.start} to {spec.end}; areas: {', '.join(spec.areas)}.\n\n"
        f"Contents: {json.dumps(summary)}.\n"
    )
    with atomic_path(out / "README.md") as tmp:
        tmp.write_text(readme)
    log.info("demo archive: %s", summary)
    return summary


__all__ = ["build_demo_store"]
