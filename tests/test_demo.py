"""The demo world: deterministic, in the real formats, and physically consistent."""

from __future__ import annotations

import hashlib
import json
import zipfile
from datetime import date
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import rasterio
import xarray as xr

from sar2ndvi.demo import DemoSpec, World, build_demo_store
from sar2ndvi.grid import grid_from_lonlat_box
from sar2ndvi.ndvi import planet_ndvi, sentinel2_ndvi
from sar2ndvi.sentinel1.calibration import sigma0_window
from sar2ndvi.sentinel1.geocode import radar_coordinates
from sar2ndvi.sentinel1.safe import SafeProduct

TINY = {
    "study": {"start": "2017-07-01", "end": "2017-07-20"},
    "areas": {
        "pretrain": {"west": 138.482, "south": 36.536, "east": 138.495, "north": 36.546},
        "test": {"west": 138.483, "south": 36.538, "east": 138.493, "north": 36.544},
    },
    "demo": {
        "seed": 3,
        "s1_tracks": [{"relative_orbit": 46, "platform_incidence_deg": 38.0}],
        "planet_dates": 3,
        "margin_m": 300,
        "s2_cloudy_fraction": 0.5,
    },
}


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("store")
    build_demo_store(DemoSpec.from_config(TINY), out)
    return out


def test_sentinel1_products_open_with_xarray_sentinel(store, tmp_path):
    catalog = json.loads((store / "sentinel1/catalog.json").read_text())
    assert len(catalog) == 4  # one track seen by S1A and S1B every 6 days in 20 days
    with zipfile.ZipFile(store / "sentinel1" / catalog[0]["fileName"]) as archive:
        archive.extractall(tmp_path)
    safe = next(tmp_path.glob("*.SAFE"))
    for group in ("IW/VV", "IW/VH/calibration", "IW/VV/noise_range", "IW/VV/orbit", "IW/VV/gcp"):
        ds = xr.open_dataset(safe, engine="sentinel-1", group=group)
        assert len(ds.data_vars) > 0
    gcp = xr.open_dataset(safe, engine="sentinel-1", group="IW/VV/gcp")
    assert gcp["latitude"].shape == (10, 21)


def test_geolocation_grid_is_consistent_with_the_orbit(store):
    catalog = json.loads((store / "sentinel1/catalog.json").read_text())
    product = SafeProduct(store / "sentinel1" / catalog[0]["fileName"])
    grid = product.geolocation_grid("VV")
    line, pixel = radar_coordinates(product, "VV", grid.longitude, grid.latitude, grid.height)
    assert np.max(np.abs(line - grid.line)) < 0.1 and np.max(np.abs(pixel - grid.pixel)) < 0.1
    # descending and right-looking: far range (larger pixel) lies west, incidence grows with range
    first_row = slice(0, 21)
    assert grid.longitude[first_row][-1] < grid.longitude[first_row][0]
    assert np.all(np.diff(grid.incidence_angle[first_row]) > 0)
    assert 36 < grid.incidence_angle.mean() < 40
    assert product.image_info("VV").pass_direction == "DESCENDING"


def test_catalogue_lists_verified_sizes_and_checksums(store):
    for record in json.loads((store / "sentinel1/catalog.json").read_text()):
        path = store / "sentinel1" / record["url"]
        assert path.stat().st_size == record["bytes"]
        assert hashlib.md5(path.read_bytes(), usedforsecurity=False).hexdigest() == record["md5sum"]
        assert (
            (
                (record["absoluteOrbit"] - 73) % 175 + 1
                if record["platform"].endswith("A")
                else (record["absoluteOrbit"] - 27) % 175 + 1
            )
            == record["pathNumber"]
            == 46
        )


def test_radiometry_recovers_the_worlds_backscatter_levels(store):
    catalog = json.loads((store / "sentinel1/catalog.json").read_text())
    product = SafeProduct(store / "sentinel1" / catalog[0]["fileName"])
    info = product.image_info("VV")
    window = (0, 3, info.lines, info.samples - 6)
    vv = sigma0_window(product, "VV", window)
    vh = sigma0_window(product, "VH", window)
    vv_db, vh_db = 10 * np.log10(np.nanmedian(vv)), 10 * np.log10(np.nanmedian(vh))
    assert -15 < vv_db < -3 and -24 < vh_db < -10 and vh_db < vv_db - 3


def test_growing_cabbage_raises_vh(store):
    world = World(DemoSpec.from_config(TINY))
    crop = np.array(world.crop_polygons)
    bare_day, peak_day = date(2017, 5, 1), date(2017, 8, 1)
    ndvi_bare = world.parcel_ndvi(bare_day)[crop]
    ndvi_peak = world.parcel_ndvi(peak_day)[crop]
    index = crop + 1
    cos = np.full(index.shape, np.cos(np.radians(38)))
    vh_bare = world.sigma0(bare_day, index, ndvi_bare, cos, "VH")
    vh_peak = world.sigma0(peak_day, index, ndvi_peak, cos, "VH")
    grown = ndvi_peak > ndvi_bare + 0.3
    assert grown.sum() > 10
    assert np.median(10 * np.log10(vh_peak[grown] / vh_bare[grown])) > 2.0


def test_optical_scales_differ_so_the_regression_matters(store):
    grid = grid_from_lonlat_box("test", **TINY["areas"]["test"])
    world = World(DemoSpec.from_config(TINY))
    s2_file = sorted((store / "sentinel2").glob("*.tif"))
    clear = [p for p in s2_file if np.nanmean(sentinel2_ndvi(p, grid, 20)) == np.nanmean(sentinel2_ndvi(p, grid, 20))]
    planet_file = sorted((store / "planet").glob("*_AnalyticMS_SR.tif"))[0]
    p_ndvi = planet_ndvi(planet_file, grid)
    day = pd.Timestamp(planet_file.name[:8]).date()
    truth = world.ndvi(day, grid)
    slope = np.polyfit(truth.ravel(), p_ndvi.ravel(), 1)[0]
    assert 0.75 < slope < 0.95
    assert clear, "some Sentinel-2 date must be usable"
    s2 = sentinel2_ndvi(clear[0], grid, 100)
    s2_day = pd.Timestamp(clear[0].name[:8]).date()
    assert np.nanmean(s2) < np.nanmean(world.ndvi(s2_day, grid)) - 0.03  # top-of-atmosphere NDVI is lower


def test_cloudy_dates_have_high_cloud_probability_where_it_is_bright(store):
    cloudy = 0
    for path in sorted((store / "sentinel2").glob("*.tif")):
        with rasterio.open(path) as src:
            red, _, probability = src.read().astype(float)
        if (probability > 50).mean() > 0.1:
            cloudy += 1
            assert red[probability > 80].mean() > 2 * red[probability < 5].mean()
    assert cloudy >= 1


def test_fude_file_has_maffs_schema_in_jgd2011(store):
    path = store / "maff/fude_104434_2017.geojson"
    raw = json.loads(path.read_text())
    assert raw["crs"]["properties"]["name"] == "urn:ogc:def:crs:EPSG::6668"
    frame = gpd.read_file(path)
    assert frame.crs.to_epsg() == 6668
    for column in (
        "polygon_uuid",
        "land_type",
        "issue_year",
        "edit_year",
        "history",
        "last_polygon_uuid",
        "prev_last_polygon_uuid",
        "local_government_cd",
        "point_lng",
        "point_lat",
    ):
        assert column in frame.columns
    assert set(frame["land_type"]) <= {100, 200} and 200 in set(frame["land_type"])
    points = gpd.points_from_xy(frame["point_lng"], frame["point_lat"])
    assert all(g.buffer(1e-6).contains(p) for g, p in zip(frame.geometry, points, strict=True))
    assert isinstance(json.loads(frame["history"].iloc[0]), list)


def test_dem_is_tsumagoi_like_relief(store):
    with rasterio.open(store / "dem/dem.tif") as src:
        heights = src.read(1)
        assert src.crs.to_epsg() == 4326 and abs(src.res[0] - 1 / 3600) < 1e-9
    assert 950 < heights.min() and heights.max() < 1500


def test_sigma0_command_geocodes_a_product_onto_a_snapped_grid(store, tmp_path):
    from sar2ndvi.cli import main

    product = sorted((store / "sentinel1").glob("*.zip"))[0]
    out = tmp_path / "sigma0.tif"
    box = TINY["areas"]["test"]
    args = ["sigma0", str(product), "--bbox", *(str(box[k]) for k in ("west", "south", "east", "north"))]
    assert main([*args, "--dem", str(store / "dem/dem.tif"), "--out", str(out)]) == 0
    with rasterio.open(out) as src:
        assert src.crs.to_epsg() == 32654 and src.res == (10.0, 10.0) and src.count == 2
        assert src.transform.c % 10 == 0 and src.transform.f % 10 == 0
        vv = src.read(1)
    assert np.isfinite(vv).mean() > 0.99 and -20 < 10 * np.log10(np.nanmedian(vv)) < -3
