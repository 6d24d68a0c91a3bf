"""MAFF fude polygons (筆ポリゴン) of the demo world, as MAFF's open data GeoJSON.

Geometries are in JGD2011 geographic coordinates (``urn:ogc:def:crs:EPSG::6668``, lon/lat order);
properties follow MAFF's schema: ``polygon_uuid``, ``land_type`` (200 = upland field 畑, the cabbage
parcels; 100 = paddy 田), ``issue_year``, ``edit_year``, ``history`` (a JSON string),
``last_polygon_uuid``, ``prev_last_polygon_uuid``, ``local_government_cd`` ("104434", Tsumagoi),
``point_lng``, ``point_lat`` (a point inside the polygon, JGD2011).
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import numpy as np
from pyproj import Transformer
from shapely import transform as shapely_transform
from shapely.geometry import mapping

from sar2ndvi.demo.world import CROP, FOREST, World
from sar2ndvi.io import atomic_path

LOCAL_GOVERNMENT_CD = "104434"  # 群馬県吾妻郡嬬恋村
ISSUE_YEAR = 2017
LAND_TYPE = {"upland": 200, "paddy": 100}


def _uuid4(rng: np.random.Generator) -> str:
    return str(uuid.UUID(bytes=rng.bytes(16), version=4))


def fude_features(world: World) -> list[dict]:
    """GeoJSON features (JGD2011) of the world's upland fields and paddies inside the demo extent."""
    to_jgd = Transformer.from_crs(world.spec.crs, "EPSG:6668", always_xy=True)
    west, south, east, north = world.extent.bounds
    rng = np.random.default_rng([world.spec.seed, 41])
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
        uid, last, previous = _uuid4(rng), _uuid4(rng), _uuid4(rng)
        edit_year = int(rng.choice([2014, 2015, 2016], p=[0.3, 0.4, 0.3]))
        # MAFF's history: last year's polygon, then the polygon it came from and its year of origin
        history = json.dumps(
            [
                {"筆ポリゴンID": last, "更新年度": ISSUE_YEAR - 1, "前年同一": True},
                [{"筆ポリゴンID": previous, "発生年度": edit_year}],
            ],
            ensure_ascii=False,
        )
        features.append(
            {
                "type": "Feature",
                "geometry": mapping(geom),
                "properties": {
                    "polygon_uuid": uid,
                    "land_type": LAND_TYPE["upland"] if kind == CROP else LAND_TYPE["paddy"],
                    "issue_year": ISSUE_YEAR,
                    "edit_year": edit_year,
                    "history": history,
                    "last_polygon_uuid": last,
                    "prev_last_polygon_uuid": previous,
                    "local_government_cd": LOCAL_GOVERNMENT_CD,
                    "point_lng": round(float(lng), 8),
                    "point_lat": round(float(lat), 8),
                },
            }
        )
    return features


def write_fude(world: World, out: Path) -> Path:
    """Write ``maff/fude_104434_2017.geojson`` (atomically); return its path."""
    collection = {
        "type": "FeatureCollection",
        "name": f"fude_{LOCAL_GOVERNMENT_CD}_{ISSUE_YEAR}",
        "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::6668"}},
        "features": fude_features(world),
    }
    path = out / "maff" / f"fude_{LOCAL_GOVERNMENT_CD}_{ISSUE_YEAR}.geojson"
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(collection, ensure_ascii=False))
    return path
