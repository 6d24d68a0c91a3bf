"""Local incidence angle and layover/shadow on the grid: flat ground, and a ridge too steep for the radar."""

from __future__ import annotations

import numpy as np
import pytest
from test_sentinel1_border_noise import _grid_over_the_image, modern_product, track, world  # noqa: F401

from sar2ndvi.demo import sentinel1 as s1
from sar2ndvi.sentinel1.geocode import geocode_backscatter, grid_line_pixel, radar_geometry
from sar2ndvi.sentinel1.safe import SafeProduct
from sar2ndvi.sentinel1.terrain_geometry import LAYOVER, SHADOW, block_reduce

LAYERS = ("local_incidence_angle", "layover_shadow_mask")
BASE_M = 1200.0
RIDGE_M = 500.0
RIDGE_SLOPE = 3.0  # 72°: steeper than the incidence angle and than its complement


def _cells_x(grid) -> np.ndarray:
    xs = grid.x_min + (np.arange(grid.width) + 0.5) * grid.resolution
    return np.broadcast_to(xs, grid.shape)


@pytest.fixture(scope="module")
def grid(world):  # noqa: F811
    return _grid_over_the_image(world)


def test_on_flat_ground_the_local_angle_is_the_incidence_angle_and_nothing_is_masked(grid, modern_product):  # noqa: F811
    heights = np.full(grid.shape, BASE_M)
    result = geocode_backscatter(modern_product, grid, heights, ("VV",), oversample=2, layers=LAYERS)
    angle, mask = result.layers["local_incidence_angle"], result.layers["layover_shadow_mask"]
    covered = np.isfinite(result.backscatter[0])
    assert covered.mean() > 0.2
    grid_points = SafeProduct(modern_product).geolocation_grid("VV")
    low, high = grid_points.incidence_angle.min(), grid_points.incidence_angle.max()
    assert low - 1.0 < np.nanmin(angle[covered]) and np.nanmax(angle[covered]) < high + 1.0
    assert (mask[covered] == 0).all()


def test_a_ridge_too_steep_for_the_radar_lays_over_on_the_near_side_and_shadows_the_far_side(
    grid,
    modern_product,  # noqa: F811
):
    x = _cells_x(grid)
    peak_x = grid.x_min + grid.width * grid.resolution / 2
    heights = BASE_M + np.clip(RIDGE_M - RIDGE_SLOPE * np.abs(x - peak_x), 0.0, None)
    result = geocode_backscatter(modern_product, grid, heights, ("VV",), oversample=2, layers=LAYERS)
    angle, mask = result.layers["local_incidence_angle"], result.layers["layover_shadow_mask"]

    # which side of the ridge is nearer the satellite's track: the smaller image pixel (range)
    _, pixel = grid_line_pixel(radar_geometry(SafeProduct(modern_product), "VV"), grid, 1, np.full(grid.shape, BASE_M))
    row = grid.height // 2
    west, east = int(np.nanargmin(np.abs(x[row] - (peak_x - 300)))), int(np.nanargmin(np.abs(x[row] - (peak_x + 300))))
    near_is_west = pixel[row, west] < pixel[row, east]
    covered = np.isfinite(result.backscatter[0]) & np.isfinite(mask)
    slope_near = (
        covered & ((x < peak_x) if near_is_west else (x > peak_x)) & (np.abs(x - peak_x) < RIDGE_M / RIDGE_SLOPE)
    )
    slope_far = (
        covered & ((x > peak_x) if near_is_west else (x < peak_x)) & (np.abs(x - peak_x) < RIDGE_M / RIDGE_SLOPE)
    )
    flat = covered & (np.abs(x - peak_x) > RIDGE_M / RIDGE_SLOPE + 900)  # beyond layover and shadow reach
    assert slope_near.sum() > 50 and slope_far.sum() > 50 and flat.sum() > 50
    # a slope steeper than the incidence angle tilts its normal past the look direction; the slope
    # turned away is seen beyond 90°
    slope_deg, incidence = np.degrees(np.arctan(RIDGE_SLOPE)), np.nanmedian(angle[flat])
    assert np.nanmedian(angle[slope_near]) == pytest.approx(slope_deg - incidence, abs=2.0)
    assert np.nanmedian(angle[slope_far]) == pytest.approx(slope_deg + incidence, abs=2.0)
    assert ((mask[slope_near].astype(int) & LAYOVER) > 0).mean() > 0.9
    assert ((mask[slope_far].astype(int) & SHADOW) > 0).mean() > 0.9
    assert (mask[flat] == 0).mean() > 0.99


def test_gamma0_flattening_masks_slopes_it_would_otherwise_divide_by_almost_nothing(grid, modern_product):  # noqa: F811
    x = _cells_x(grid)
    peak_x = grid.x_min + grid.width * grid.resolution / 2
    heights = BASE_M + np.clip(RIDGE_M - RIDGE_SLOPE * np.abs(x - peak_x), 0.0, None)
    gamma = geocode_backscatter(modern_product, grid, heights, ("VV",), oversample=2, radiometry="gamma0_flat")
    sigma = geocode_backscatter(modern_product, grid, heights, ("VV",), oversample=2)
    ratio = gamma.backscatter[0] / sigma.backscatter[0]
    finite = np.isfinite(ratio)
    assert finite.mean() > 0.2
    # no cell is amplified by the tens that a near-zero illuminated area would give
    assert np.nanmax(ratio) < 15
    on_ridge = np.abs(x - peak_x) < RIDGE_M / RIDGE_SLOPE
    assert (~finite & on_ridge & np.isfinite(sigma.backscatter[0])).sum() > 20, "turned-away slopes are masked"


def test_fine_cells_reduce_to_the_grid_by_mean_and_by_any_flag():
    angles = np.array([[10.0, 20.0, np.nan, np.nan], [30.0, 40.0, np.nan, np.nan]])
    np.testing.assert_array_equal(block_reduce(angles, 2, "mean"), [[25.0, np.nan]])
    flags = np.array([[0, 1, 0, 0], [2, 0, 0, 0]], np.uint8)
    np.testing.assert_array_equal(block_reduce(flags, 2, "or"), [[3, 0]])
    assert s1.BORDER_SAMPLES > 0
