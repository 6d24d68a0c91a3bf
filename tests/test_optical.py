"""Optical NDVI: Sentinel-2 exports and PlanetScope scenes onto an area grid."""

from datetime import date, datetime

import numpy as np
import pytest
import rasterio
from affine import Affine

from sar2ndvi.grid import AreaGrid
from sar2ndvi.io import write_geotiff
from sar2ndvi.ndvi import (
    ndvi_from_bands,
    nearest_date,
    parse_planet_name,
    parse_sentinel2_name,
    planet_ndvi,
    sentinel2_ndvi,
)

GRID = AreaGrid("t", "EPSG:32654", 10.0, 276000.0, 4046000.0, 8, 6)


def _write(path, bands, transform, crs="EPSG:32654", descriptions=None, dtype="uint16", nodata=0):
    write_geotiff(path, np.asarray(bands), transform, crs, dtype, nodata, descriptions)


def test_ndvi_of_the_real_l1c_patch_matches_its_documented_range(real_data):
    nc = real_data / "s2_l1c_red_nir_rioxarray" / "sentinel_2_L1C_geographic.nc"
    with rasterio.open(f"netcdf:{nc}:red") as red_src, rasterio.open(f"netcdf:{nc}:nir") as nir_src:
        red, nir = red_src.read(1).astype(float), nir_src.read(1).astype(float)
    ndvi = ndvi_from_bands(red, nir)
    assert ndvi.dtype == np.float32
    np.testing.assert_allclose(ndvi, (nir - red) / (nir + red), rtol=1e-6)
    assert 0.70 < np.nanmin(ndvi) and np.nanmax(ndvi) < 0.82


def test_ndvi_is_nan_where_the_bands_are_missing_or_empty():
    ndvi = ndvi_from_bands(np.array([np.nan, 0.0, 100.0]), np.array([1.0, 0.0, 300.0]))
    assert np.isnan(ndvi[0]) and np.isnan(ndvi[1]) and ndvi[2] == pytest.approx(0.5)


def test_sentinel2_export_gives_ndvi_with_clouds_masked(tmp_path):
    red = np.full((6, 8), 500)
    nir = np.full((6, 8), 3500)
    cloud = np.zeros((6, 8))
    cloud[:, :4] = 80
    path = tmp_path / "20170605T012651_20170605T012653_T54SUE.tif"
    _write(path, [red, nir, cloud], GRID.transform, descriptions=["B4", "B8", "probability"])
    ndvi = sentinel2_ndvi(path, GRID, cloud_probability_max=20)
    assert np.isnan(ndvi[:, :4]).all()
    np.testing.assert_allclose(ndvi[:, 4:], 0.75, rtol=1e-6)


def test_sentinel2_export_without_probability_band_is_refused(tmp_path):
    path = tmp_path / "20170605T012651_20170605T012653_T54SUE.tif"
    _write(path, [np.ones((6, 8)), np.ones((6, 8))], GRID.transform, descriptions=["B4", "B8"])
    with pytest.raises(ValueError, match="probability"):
        sentinel2_ndvi(path, GRID, 20)


def test_planet_3m_pixels_reach_the_10m_grid_by_nearest_neighbour(tmp_path):
    rows, cols = 20, 27
    red = np.tile(np.arange(cols) * 10 + 100, (rows, 1))
    nir = np.full((rows, cols), 4000)
    transform = Affine(3.0, 0, GRID.x_min, 0, -3.0, GRID.y_max)
    path = tmp_path / "20170612_012345_0f22_3B_AnalyticMS_SR.tif"
    _write(path, [red, red, red, nir], transform)
    ndvi = planet_ndvi(path, GRID)
    for col in range(GRID.width):
        source_col = int(((col + 0.5) * 10) // 3)
        expected = (4000 - red[0, source_col]) / (4000 + red[0, source_col])
        assert ndvi[0, col] == pytest.approx(expected, rel=1e-6)


def test_planet_udm2_not_clear_pixels_are_masked(tmp_path):
    transform = Affine(3.0, 0, GRID.x_min, 0, -3.0, GRID.y_max)
    path = tmp_path / "20170612_012345_0f22_3B_AnalyticMS_SR.tif"
    _write(path, [np.full((20, 27), v) for v in (300, 400, 500, 3000)], transform)
    clear = np.ones((8, 20, 27))
    clear[0, :, :13] = 0
    udm = tmp_path / "20170612_012345_0f22_3B_udm2.tif"
    _write(udm, clear, transform, dtype="uint8", nodata=None)
    ndvi = planet_ndvi(path, GRID, udm)
    assert np.isnan(ndvi[:, :3]).all() and np.isfinite(ndvi[:, 5:]).all()


def test_acquisition_times_come_from_the_file_names():
    s2 = parse_sentinel2_name("20170605T012651_20170605T012653_T54SUE.tif")
    assert s2.acquired == datetime(2017, 6, 5, 1, 26, 51)
    assert parse_planet_name("20170612_012345_0f22_3B_AnalyticMS_SR.tif").date_key == "20170612"
    with pytest.raises(ValueError, match="PlanetScope"):
        parse_planet_name("scene.tif")


def test_nearest_date_respects_the_tolerance():
    days = [date(2017, 6, 1), date(2017, 6, 6)]
    assert nearest_date(date(2017, 6, 4), days, 3) == date(2017, 6, 6)
    assert nearest_date(date(2017, 6, 20), days, 3) is None


def test_planet_8_band_scenes_use_their_red_and_nir_bands(tmp_path):
    transform = Affine(3.0, 0, GRID.x_min, 0, -3.0, GRID.y_max)
    path = tmp_path / "20170612_012345_0f22_3B_AnalyticMS_SR_8b.tif"
    bands = [np.full((20, 27), 50 * (k + 1)) for k in range(8)]
    bands[5], bands[7] = np.full((20, 27), 500), np.full((20, 27), 3000)
    _write(path, bands, transform)
    assert np.nanmean(planet_ndvi(path, GRID)) == pytest.approx(2500 / 3500, rel=1e-6)


def test_planet_scene_with_another_band_count_is_refused(tmp_path):
    transform = Affine(3.0, 0, GRID.x_min, 0, -3.0, GRID.y_max)
    path = tmp_path / "20170612_012345_0f22_3B_AnalyticMS_SR.tif"
    _write(path, [np.ones((20, 27))] * 3, transform)
    with pytest.raises(ValueError, match="3 bands"):
        planet_ndvi(path, GRID)


def test_planet_time_comes_from_the_scene_metadata_when_present(tmp_path):
    """Planet's metadata carry the exact UTC time, the file name only its seconds (and not always)."""
    from sar2ndvi.sources.optical_folders import list_planet

    transform = Affine(3.0, 0, GRID.x_min, 0, -3.0, GRID.y_max)
    for scene in ("20170612_235959_0f22", "20170613_010000_1002"):
        _write(tmp_path / f"{scene}_3B_AnalyticMS_SR.tif", [np.ones((20, 27))] * 4, transform)
    (tmp_path / "20170612_235959_0f22_metadata.json").write_text(
        '{"id": "20170612_235959_0f22", "properties": {"acquired": "2017-06-13T00:00:00.4+00:00"}}'
    )
    table = list_planet(tmp_path, "2017-06-01", "2017-06-30")
    assert list(table["date"]) == ["20170613", "20170613"]
    assert table["acquired"].iloc[0] == "2017-06-13T00:00:00.400000"
    assert table["acquired"].iloc[1] == "2017-06-13T01:00:00"
