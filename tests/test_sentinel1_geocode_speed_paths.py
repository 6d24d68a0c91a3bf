"""The shortcuts that make σ0 fast give what the direct computation gives.

Line and pixel are solved exactly on a lattice and interpolated (``grid_line_pixel``), and on the
grid's own cells before being refined onto the sub-cells (``oversampled_line_pixel``); σ0 is sampled
with one set of bilinear weights for every band (``BilinearSampler``), averaged onto the grid by
phases (``block_reduce``), calibrated with only the LUT vectors around its window
(``interpolate_lut``) and read with GDAL's direct I/O (``read_dn``). Each is checked here against the
direct computation, on the real annotation of a full-size scene where geometry is concerned.
"""

from __future__ import annotations

import numpy as np
import pytest
from rasterio.warp import Resampling
from scipy.ndimage import map_coordinates

from sar2ndvi.grid import AreaGrid
from sar2ndvi.io import warp_bands
from sar2ndvi.sentinel1.calibration import interpolate_lut
from sar2ndvi.sentinel1.geocode import (
    BilinearSampler,
    grid_line_pixel,
    interleave,
    oversampled_line_pixel,
    radar_geometry,
)
from sar2ndvi.sentinel1.safe import SafeProduct
from sar2ndvi.sentinel1.terrain_geometry import block_reduce

S1B = "s1_grd_sarsen_S1B_20211223/S1B_IW_GRDH_1SDV_20211223T051122_20211223T051147_030148_039993_5371.SAFE"
ROME_DEM = "dem_rome_30m_sarsen/Rome-30m-DEM.tif"
EGM96_AT_ROME_M = 48.0
# 5 × 5 km of Rome on a 10 m UTM grid, inside the scene and the DEM
ROME = AreaGrid("rome", "EPSG:32633", 10.0, 290_380.0, 4_655_100.0, 512, 515)
TOLERANCE_PX = 1e-3


@pytest.fixture(scope="module")
def s1b(real_data) -> SafeProduct:
    return SafeProduct(real_data / S1B)


@pytest.fixture(scope="module")
def rome_heights(real_data) -> np.ndarray:
    """Heights above the WGS 84 ellipsoid on ``ROME``: the real 1″ DEM plus the geoid there."""
    return warp_bands(real_data / ROME_DEM, [1], ROME, Resampling.bilinear)[0].astype(np.float64) + EGM96_AT_ROME_M


def upsampled(heights: np.ndarray) -> np.ndarray:
    """Heights on the 2× grid: bilinear, pixel centres aligned, edges held (scipy, not the code under test)."""
    rows = (np.arange(heights.shape[0] * 2) + 0.5) / 2 - 0.5
    cols = (np.arange(heights.shape[1] * 2) + 0.5) / 2 - 0.5
    return map_coordinates(heights, np.meshgrid(rows, cols, indexing="ij"), order=1, mode="nearest")


def exact(s1b: SafeProduct, grid: AreaGrid, heights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every sub-cell of ``grid`` oversampled twice solved on its own, heights upsampled bilinearly."""
    return grid_line_pixel(radar_geometry(s1b, "VV"), grid, 2, upsampled(heights), lattice_spacing=None)


def worst_error(got: tuple[np.ndarray, np.ndarray], want: tuple[np.ndarray, np.ndarray]) -> float:
    return max(float(np.nanmax(np.abs(g - w))) for g, w in zip(got, want, strict=True))


def test_the_area_straddles_an_srgr_record_where_interpolating_pixel_would_fail(s1b, rome_heights):
    """Pixel has a kink where the srgr polynomials switch records; the area must contain one, or the
    tests below would not show that the kink is followed."""
    geometry = radar_geometry(s1b, "VV")
    line, _ = exact(s1b, ROME, rome_heights)
    first = geometry.orbit.seconds(geometry.image.first_line_time)
    record_lines = (geometry.orbit.seconds(geometry.conversion.azimuth_time) - first) / (
        geometry.image.azimuth_time_interval
    )
    assert np.any((record_lines > np.nanmin(line)) & (record_lines < np.nanmax(line)))


def test_sub_cells_refined_from_the_grid_match_their_exact_solution_over_real_relief(s1b, rome_heights):
    got = oversampled_line_pixel(radar_geometry(s1b, "VV"), ROME, 2, rome_heights)
    assert worst_error(got, exact(s1b, ROME, rome_heights)) < TOLERANCE_PX


def test_the_lattice_alone_matches_the_exact_solution_over_real_relief(s1b, rome_heights):
    fine = upsampled(rome_heights)
    got = grid_line_pixel(radar_geometry(s1b, "VV"), ROME, 2, fine)
    assert worst_error(got, exact(s1b, ROME, rome_heights)) < TOLERANCE_PX


@pytest.mark.parametrize("wavelength_m", [3000.0, 200.0])
def test_steep_relief_keeps_the_same_tolerance(s1b, wavelength_m):
    """Relief of ±1,000 m around 1,500 m; at a 200 m wavelength slopes reach 88°."""
    rows, cols = np.mgrid[0 : ROME.height, 0 : ROME.width] * ROME.resolution
    relief = 1500.0 + 1000.0 * np.sin(2 * np.pi * cols / wavelength_m) * np.cos(2 * np.pi * rows / wavelength_m)
    got = oversampled_line_pixel(radar_geometry(s1b, "VV"), ROME, 2, relief)
    assert worst_error(got, exact(s1b, ROME, relief)) < TOLERANCE_PX


def test_no_data_heights_give_no_position(s1b, rome_heights):
    heights = rome_heights.copy()
    heights[100:110, 200:220] = np.nan
    line, pixel = oversampled_line_pixel(radar_geometry(s1b, "VV"), ROME, 2, heights)
    assert np.isnan(line[200:220, 400:440]).all() and np.isnan(pixel[200:220, 400:440]).all()
    assert np.isfinite(line[:150]).all()


def test_one_sampler_samples_every_band_as_scipy_does():
    rng = np.random.default_rng(7)
    bands = [rng.random((40, 50)).astype(np.float32) for _ in range(3)]
    bands[1][10, 10] = np.nan
    # inside, on the last row and column, and beyond the edges (clamped)
    rows = np.concatenate([rng.uniform(0, 39, 500), [39.0, 0.0, -0.4, 39.4, 9.5]])
    cols = np.concatenate([rng.uniform(0, 49, 500), [49.0, 0.0, 25.0, -0.3, 9.5]])
    valid = np.ones(rows.shape, bool)
    valid[3] = False
    sampled = BilinearSampler.at(rows, cols, (40, 50), valid)(interleave(*bands))
    assert sampled.shape == (3, rows.size) and sampled.dtype == np.float32
    for band, got in zip(bands, sampled, strict=True):
        want = map_coordinates(band.astype(np.float64), [rows, cols], order=1, mode="nearest")
        want[3] = np.nan
        np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-7, equal_nan=True)
    assert np.isnan(sampled[1, -1]) and np.isfinite(sampled[0, -1])  # a NaN neighbour gives NaN


@pytest.mark.parametrize("factor", [2, 3])
def test_block_means_are_the_mean_of_each_blocks_finite_sub_cells(factor):
    rng = np.random.default_rng(factor)
    values = rng.random((6 * factor, 5 * factor)).astype(np.float32)
    values[rng.random(values.shape) < 0.3] = np.nan
    values[:factor, :factor] = np.nan  # a block with no value
    blocks = values.astype(np.float64).reshape(6, factor, 5, factor)
    with np.errstate(invalid="ignore"), pytest.warns(RuntimeWarning):
        want = np.nanmean(blocks, axis=(1, 3))
    got = block_reduce(values, factor, "mean")
    assert np.isnan(got[0, 0])
    np.testing.assert_allclose(got, want, rtol=1e-6, equal_nan=True)


def test_a_windows_calibration_is_that_window_of_the_whole_images(s1b):
    lut = s1b.calibration_lut("VV")
    image = s1b.image_info("VV")
    rows, cols = np.arange(0, image.lines, 97), np.arange(0, image.samples, 101)
    whole = interpolate_lut(lut, rows, cols)
    for r0, r1 in ((0, 5), (40, 48), (60, len(rows))):
        window = interpolate_lut(lut, rows[r0:r1], cols[20:40])
        np.testing.assert_array_equal(window, whole[r0:r1, 20:40])
