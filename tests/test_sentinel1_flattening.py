"""Radiometric terrain flattening (γ0_T, area projection) on a demo product over the Tsumagoi relief."""

import json

import numpy as np
import pytest
import test_demo_store

from sar2ndvi.grid import AreaGrid
from sar2ndvi.sentinel1.calibration import interpolate_lut
from sar2ndvi.sentinel1.flattening import splat
from sar2ndvi.sentinel1.geocode import geocode_backscatter
from sar2ndvi.sentinel1.safe import SafeProduct

tiny_store = test_demo_store.tiny_store


@pytest.fixture(scope="module")
def product(tiny_store) -> SafeProduct:
    record = json.loads((tiny_store / "sentinel1/catalog.json").read_text())[0]
    return SafeProduct(tiny_store / "sentinel1" / record["url"])


@pytest.fixture(scope="module")
def grid() -> AreaGrid:
    box = test_demo_store.TINY["areas"]["test"]
    from sar2ndvi.grid import grid_from_lonlat_box

    return grid_from_lonlat_box("test", **box, crs="EPSG:32654", resolution=10)


def _ratio(product, grid, heights):
    sigma0 = geocode_backscatter(product, grid, heights, ("VV",), noise_removal=False).backscatter[0]
    gamma0 = geocode_backscatter(
        product, grid, heights, ("VV",), noise_removal=False, radiometry="gamma0_flat"
    ).backscatter[0]
    return gamma0 / sigma0


def test_on_flat_ground_gamma0_is_beta0_times_the_tangent_of_the_incidence(product, grid):
    """γ0_T = β0 · tan θ_E on the ellipsoid, β0 = σ0 · (A_σ / A_β)² from the product's own LUTs."""
    ratio = _ratio(product, grid, np.full(grid.shape, 1240.0))
    gcp = product.geolocation_grid("VV")
    incidence = np.radians(np.median(gcp.incidence_angle))
    centre_line, centre_pixel = np.median(gcp.line), np.median(gcp.pixel)
    luts = [interpolate_lut(product.calibration_lut("VV", kind), [centre_line], [centre_pixel])[0, 0]
            for kind in ("sigmaNought", "betaNought")]  # fmt: skip
    beta_over_sigma = (luts[0] / luts[1]) ** 2
    assert np.nanmedian(ratio) == pytest.approx(beta_over_sigma * np.tan(incidence), rel=0.03)
    # it follows the LUTs and the incidence across range, without the splat's sampling noise
    steps = np.abs(np.diff(ratio, axis=1)) / ratio[:, 1:]
    assert np.nanmax(steps) < 0.01


def test_slopes_facing_the_sensor_are_darkened_and_slopes_facing_away_brightened(product, grid):
    """A descending, right-looking pass sees from the east: a slope falling to the east faces it."""
    flat = np.nanmedian(_ratio(product, grid, np.full(grid.shape, 1240.0)))
    columns = np.arange(grid.width)[None, :] * np.ones((grid.height, 1))
    facing = np.nanmedian(_ratio(product, grid, 1240.0 - 3.0 * columns))  # a 30 % slope down to the east
    away = np.nanmedian(_ratio(product, grid, 1240.0 + 3.0 * columns))
    assert facing < 0.8 * flat
    assert away > 1.2 * flat


def test_splatting_keeps_the_total_area_inside_the_image():
    values = np.ones(1000)
    rng = np.random.default_rng(0)
    line, pixel = rng.uniform(1, 8, 1000), rng.uniform(1, 8, 1000)
    assert splat(values, line, pixel, (10, 10)).sum() == pytest.approx(1000)
    values[0] = np.nan
    assert splat(values, line, pixel, (10, 10)).sum() == pytest.approx(999)


def test_an_unknown_radiometry_is_refused(product, grid):
    with pytest.raises(ValueError, match="unknown radiometry"):
        geocode_backscatter(product, grid, np.zeros(grid.shape), ("VV",), radiometry="beta0")
