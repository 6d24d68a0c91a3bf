"""Range-Doppler geocoding on the real S1B annotation: geometry against ESA's tie points, radiometry on a
constant scene, and the errors a user can meet."""

from __future__ import annotations

import shutil
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import numpy as np
import pytest
import rasterio
import xarray as xr
from pyproj import Transformer
from rasterio.windows import Window
from scipy.interpolate import griddata

from sar2ndvi.grid import AreaGrid
from sar2ndvi.sentinel1.geocode import (
    geocode_backscatter,
    grid_line_pixel,
    ground_range,
    radar_coordinates,
    radar_geometry,
    radar_window,
)
from sar2ndvi.sentinel1.safe import SafeProduct

S1B = "s1_grd_sarsen_S1B_20211223/S1B_IW_GRDH_1SDV_20211223T051122_20211223T051147_030148_039993_5371.SAFE"
MODERN = "s1_grd_annotations_pyrosar/S1A_IW_GRDH_1SDV_20210119T031653_20210119T031718_036201_043ED0_8255.zip"
LEGACY = "s1_grd_annotations_pyrosar/S1A_IW_GRDH_1SDV_20150222T170750_20150222T170815_004739_005DD8_3768.zip"
DN_WINDOW = (7000, 9200, 400, 400)  # (row_off, col_off, rows, cols), inside sub-swath IW2
DN = 300
CENTRE = (7200.0, 9400.0)  # (line, pixel) the test area is centred on


@pytest.fixture(scope="module")
def s1b(real_data, tmp_path_factory) -> Path:
    """The real S1B product with a sparse measurement TIFF: DN = 300 in ``DN_WINDOW``, 0 (no data)
    elsewhere."""
    safe = tmp_path_factory.mktemp("s1b") / Path(S1B).name
    shutil.copytree(real_data / S1B, safe, ignore=shutil.ignore_patterns("*.tiff"))
    annotation = next((safe / "annotation").glob("s1b-iw-grd-vv-*.xml"))
    row, col, rows, cols = DN_WINDOW
    with rasterio.open(
        safe / "measurement" / f"{annotation.stem}.tiff",
        "w",
        driver="GTiff",
        width=26102,
        height=16705,
        count=1,
        dtype="uint16",
        tiled=True,
        blockxsize=256,
        blockysize=256,
        sparse_ok=True,
    ) as dst:
        dst.write(np.full((rows, cols), DN, np.uint16), 1, window=Window(col, row, cols, rows))
    return safe


def area_around(product: SafeProduct, line: float, pixel: float, size: int, name: str = "t") -> AreaGrid:
    """A ``size`` × ``size`` grid of 10 m pixels (UTM 33N) centred on radar (line, pixel) at height 0."""
    gcp = product.geolocation_grid("VV")
    lon = griddata((gcp.line, gcp.pixel), gcp.longitude, [(line, pixel)])[0]
    lat = griddata((gcp.line, gcp.pixel), gcp.latitude, [(line, pixel)])[0]
    # the tie points sit on terrain; Newton steps move the guess onto the ellipsoid
    for _ in range(3):
        step = 1e-4
        lons, lats = np.array([lon, lon + step, lon]), np.array([lat, lat, lat + step])
        here = np.array(radar_coordinates(product, "VV", lons, lats, np.zeros(3)))
        jacobian = np.c_[here[:, 1] - here[:, 0], here[:, 2] - here[:, 0]] / step
        dlon, dlat = np.linalg.solve(jacobian, np.array([line, pixel]) - here[:, 0])
        lon, lat = lon + dlon, lat + dlat
    x, y = Transformer.from_crs("EPSG:4326", "EPSG:32633", always_xy=True).transform(lon, lat)
    half = size * 5.0
    x_min, y_max = float(np.floor((x - half) / 10) * 10), float(np.ceil((y + half) / 10) * 10)
    return AreaGrid(name, "EPSG:32633", 10.0, x_min, y_max, size, size)


# -- geometry -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("product, max_line, max_pixel", [(S1B, 0.25, 0.6), (MODERN, 0.25, 0.4)])
def test_forward_model_reproduces_esas_geolocation_grid(real_data, product, max_line, max_pixel):
    """Orbit interpolation, zero-Doppler and srgr conversion land on ESA's own tie points."""
    safe = SafeProduct(real_data / product)
    gcp = safe.geolocation_grid("VV")
    line, pixel = radar_coordinates(safe, "VV", gcp.longitude, gcp.latitude, gcp.height)
    assert np.max(np.abs(line - gcp.line)) < max_line
    assert np.max(np.abs(pixel - gcp.pixel)) < max_pixel


def test_forward_model_on_the_2015_product_is_within_its_srgr_polynomials_accuracy(real_data):
    """IPF 2.36 srgr polynomials ripple by a few pixels along range against the tie points; lines
    stay exact."""
    safe = SafeProduct(real_data / LEGACY)
    gcp = safe.geolocation_grid("VV")
    line, pixel = radar_coordinates(safe, "VV", gcp.longitude, gcp.latitude, gcp.height)
    assert np.max(np.abs(line - gcp.line)) < 0.5
    assert np.max(np.abs(pixel - gcp.pixel)) < 5.0


def test_srgr_and_grsr_polynomials_are_inverse(real_data):
    """``srgr`` maps slant range − sr0 to ground range, ``grsr`` maps ground range − gr0 back."""
    safe = SafeProduct(real_data / S1B)
    conv = safe.coordinate_conversion("VV")
    epoch = conv.azimuth_time[0]
    ground = np.linspace(0, 26101 * 10.0, 50)
    k = 5
    slant = np.polynomial.polynomial.polyval(ground - conv.gr0[k], conv.grsr[k])
    seconds = np.full(ground.shape, (conv.azimuth_time[k] - epoch) / np.timedelta64(1, "s"))
    np.testing.assert_allclose(ground_range(conv, seconds, epoch, slant), ground, atol=0.05)


def test_height_moves_a_point_towards_near_range_by_h_over_tan_incidence(real_data):
    safe = SafeProduct(real_data / S1B)
    gcp = safe.geolocation_grid("VV")
    i = 4 * 21 + 10  # a tie point mid-scene
    lon, lat = np.full(2, gcp.longitude[i]), np.full(2, gcp.latitude[i])
    line, pixel = radar_coordinates(safe, "VV", lon, lat, np.array([0.0, 1000.0]))
    shift_m = (pixel[0] - pixel[1]) * safe.image_info("VV").range_pixel_spacing
    assert shift_m == pytest.approx(1000.0 / np.tan(np.radians(gcp.incidence_angle[i])), rel=0.03)
    assert abs(line[1] - line[0]) < 0.2


def test_geolocation_window_contains_the_exact_footprint(real_data):
    safe = SafeProduct(real_data / S1B)
    grid = area_around(safe, *CENTRE, size=60)
    geometry = radar_geometry(safe, "VV")
    row, col, rows, cols = radar_window(geometry, grid, margin=100)
    line, pixel = grid_line_pixel(geometry, grid, 2, np.zeros((120, 120)))
    assert row < line.min() and line.max() < row + rows - 1
    assert col < pixel.min() and pixel.max() < col + cols - 1
    assert rows < 60 * 2 + 2 * 100  # about 600 m of image plus the margins, not the whole scene


# -- geocoding ------------------------------------------------------------------------------------------


def reference_sigma0(safe: Path, line: np.ndarray, pixel: np.ndarray) -> np.ndarray:
    """(DN² − N) / A² at radar positions: A and range noise from xarray-sentinel, azimuth noise of the
    IW2 block per MPC-0392."""
    at = {"line": xr.DataArray(line.ravel()), "pixel": xr.DataArray(pixel.ravel())}
    a = xr.open_dataset(safe, engine="sentinel-1", group="IW/VV/calibration")["sigmaNought"].interp(**at)
    noise = xr.open_dataset(safe, engine="sentinel-1", group="IW/VV/noise_range")["noiseRangeLut"].interp(**at)
    noise_xml = next((safe / "annotation" / "calibration").glob("noise-*.xml"))
    block = next(b for b in ET.parse(noise_xml).getroot().iter("noiseAzimuthVector") if b.findtext("swath") == "IW2")
    factor = np.interp(
        line.ravel(),
        np.array(block.findtext("line").split(), float),
        np.array(block.findtext("noiseAzimuthLut").split(), float),
    )
    value = (DN**2 - noise.values * factor) / a.values.astype(np.float64) ** 2
    return value.reshape(line.shape)


def test_a_constant_scene_geocodes_to_its_sigma0_without_gaps(s1b):
    product = SafeProduct(s1b)
    grid = area_around(product, *CENTRE, size=30)
    result = geocode_backscatter(s1b, grid, np.zeros(grid.shape), ("VV",))
    assert result.backscatter.shape == (1, 30, 30) and result.backscatter.dtype == np.float32
    assert np.isfinite(result.backscatter).all() and result.valid_fraction == 1.0
    line, pixel = grid_line_pixel(radar_geometry(product, "VV"), grid, 2, np.zeros((60, 60)))
    fine = reference_sigma0(s1b, line, pixel)
    expected = fine.reshape(30, 2, 30, 2).mean(axis=(1, 3))
    assert np.max(np.abs(result.backscatter[0] / expected - 1)) < 1e-3
    assert result.backscatter.mean() == pytest.approx(fine.mean(), rel=1e-4)


def test_terrain_correction_on_or_off_is_identical_on_a_flat_dem_at_height_zero(s1b):
    grid = area_around(SafeProduct(s1b), *CENTRE, size=20)
    flat = np.zeros(grid.shape)
    with_terrain = geocode_backscatter(s1b, grid, flat, ("VV",), noise_removal=False)
    without = geocode_backscatter(s1b, grid, flat, ("VV",), noise_removal=False, terrain_correction=False)
    np.testing.assert_array_equal(with_terrain.backscatter, without.backscatter)
    assert np.isfinite(with_terrain.backscatter).all()


def test_terrain_height_changes_where_the_area_is_sampled(s1b):
    grid = area_around(SafeProduct(s1b), CENTRE[0], 9200.0, size=20)  # straddles the DN window's near edge
    flat = geocode_backscatter(s1b, grid, np.zeros(grid.shape), ("VV",), noise_removal=False)
    raised = geocode_backscatter(s1b, grid, np.full(grid.shape, 500.0), ("VV",), noise_removal=False)
    ignored = geocode_backscatter(
        s1b, grid, np.full(grid.shape, 500.0), ("VV",), noise_removal=False, terrain_correction=False
    )
    # both halves are present: DN = 0 outside the window is no data
    assert np.isnan(flat.backscatter).any() and np.isfinite(flat.backscatter).any()
    # 500 m up, the area is seen some 66 pixels nearer in range: outside the DN window, so no data
    assert np.isnan(raised.backscatter).all()
    np.testing.assert_array_equal(ignored.backscatter, flat.backscatter)
    assert raised.metadata["radar_window"] != flat.metadata["radar_window"]


def test_metadata_names_the_acquisition(s1b):
    grid = area_around(SafeProduct(s1b), *CENTRE, size=10)
    meta = geocode_backscatter(s1b, grid, np.zeros(grid.shape), ("VV",)).metadata
    assert meta["acquisition_start"].startswith("2021-12-23T05:11:22.594441")
    assert (meta["mission"], meta["pass"], meta["absolute_orbit"], meta["relative_orbit"]) == (
        "S1B",
        "DESCENDING",
        30148,
        22,
    )
    row, col, rows, cols = meta["radar_window"]
    assert DN_WINDOW[0] < row and row + rows < DN_WINDOW[0] + DN_WINDOW[2]
    assert DN_WINDOW[1] < col and col + cols < DN_WINDOW[1] + DN_WINDOW[3]


def test_an_area_outside_the_scene_is_all_nodata(s1b):
    tsumagoi = AreaGrid("tsumagoi", "EPSG:32654", 10.0, 725_000.0, 4_045_000.0, 8, 8)
    result = geocode_backscatter(s1b, tsumagoi, np.zeros(tsumagoi.shape), ("VV",))
    assert np.isnan(result.backscatter).all() and result.valid_fraction == 0.0
    assert result.metadata["radar_window"] is None


def test_zipped_product_geocodes_like_the_folder(s1b, tmp_path):
    archive = tmp_path / f"{s1b.stem}.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_STORED) as out:
        for path in sorted(s1b.rglob("*")):
            if path.is_file():
                out.write(path, path.relative_to(s1b.parent).as_posix())
    grid = area_around(SafeProduct(s1b), *CENTRE, size=10)
    flat = np.zeros(grid.shape)
    np.testing.assert_array_equal(
        geocode_backscatter(archive, grid, flat, ("VV",)).backscatter,
        geocode_backscatter(s1b, grid, flat, ("VV",)).backscatter,
    )


def test_missing_polarisation_product_and_misplaced_dem_are_clear_errors(s1b, tmp_path):
    grid = area_around(SafeProduct(s1b), *CENTRE, size=10)
    with pytest.raises(ValueError, match=r"no VH polarisation \(it has VV\)"):
        geocode_backscatter(s1b, grid, np.zeros(grid.shape), ("VV", "VH"))
    with pytest.raises(FileNotFoundError, match="Sentinel-1 product not found"):
        geocode_backscatter(tmp_path / "S1B_IW_GRDH_missing.zip", grid, np.zeros(grid.shape))
    with pytest.raises(ValueError, match=r"DEM of shape \(9, 10\) is not on grid"):
        geocode_backscatter(s1b, grid, np.zeros((9, 10)), ("VV",))
    with pytest.raises(ValueError, match="oversample must be a positive integer"):
        geocode_backscatter(s1b, grid, np.zeros(grid.shape), ("VV",), oversample=0)


def test_threads_change_nothing_in_the_result(s1b):
    grid = area_around(SafeProduct(s1b), *CENTRE, size=40)
    heights = np.linspace(0.0, 300.0, grid.width * grid.height).reshape(grid.shape)
    one = geocode_backscatter(s1b, grid, heights, ("VV",), layers=("local_incidence_angle",))
    two = geocode_backscatter(s1b, grid, heights, ("VV",), layers=("local_incidence_angle",), threads=2)
    assert np.isfinite(one.backscatter).any()
    np.testing.assert_array_equal(one.backscatter, two.backscatter)
    np.testing.assert_array_equal(one.layers["local_incidence_angle"], two.layers["local_incidence_angle"])
