"""The Sentinel-2 → Planet NDVI linear regression."""

import numpy as np
import pytest

from sar2ndvi.regression import adopt_calibration, fit_linear, target_shift


def test_regression_recovers_a_known_linear_relation_on_real_ndvi(real_data):
    s2 = np.load(real_data / "s2_ndvi_timeseries_eolearn/TestEOPatch/data/NDVI.npy")[10, ..., 0]
    rng = np.random.default_rng(0)
    planet = 0.9 * s2 + 0.06 + rng.normal(0, 0.01, s2.shape)
    fit = fit_linear(s2, planet)
    assert fit.slope == pytest.approx(0.9, abs=0.01)
    assert fit.intercept == pytest.approx(0.06, abs=0.005)
    assert fit.r2 > 0.95 and fit.n_pixels == s2.size


def test_regression_ignores_pixels_missing_in_either_image():
    x = np.array([0.1, 0.2, 0.3, np.nan, 0.5] * 40)
    y = 2 * x + 0.1
    y[::7] = np.nan
    fit = fit_linear(x, y)
    assert fit.slope == pytest.approx(2.0) and fit.intercept == pytest.approx(0.1)
    assert fit.n_pixels == int((np.isfinite(x) & np.isfinite(y)).sum())


def test_mapping_is_clipped_to_the_ndvi_range():
    fit = fit_linear(np.linspace(0, 1, 200), np.linspace(0, 1.5, 200))
    assert fit.apply(np.array([1.0]))[0] == 1.0
    assert np.isnan(fit.apply(np.array([np.nan]))[0])


def test_too_few_common_pixels_is_a_clear_error():
    with pytest.raises(ValueError, match=r"widen pairing\.max_days"):
        fit_linear(np.ones(10), np.ones(10))


def test_two_calibrations_are_compared_by_their_largest_target_difference():
    assert target_shift({"slope": 0.84, "intercept": 0.17}, {"slope": 0.84, "intercept": 0.17}) == 0
    # lines crossing at x = 0 differ most at the ends of the NDVI range
    assert target_shift({"slope": 0.85, "intercept": 0.17}, {"slope": 0.84, "intercept": 0.17}) == pytest.approx(0.01)
    assert target_shift({"slope": 0.85, "intercept": 0.18}, {"slope": 0.84, "intercept": 0.17}) == pytest.approx(0.02)


def test_a_refit_within_tolerance_keeps_the_calibration_in_use_and_a_real_change_replaces_it():
    in_use = {"slope": 0.8426, "intercept": 0.1723}
    refined = {"slope": 0.8468, "intercept": 0.1702, "r2": 0.9, "n_pixels": 10}  # a new Planet date (0.0063 NDVI)
    assert adopt_calibration(refined, in_use, tolerance=0.01) == in_use
    assert adopt_calibration(refined, in_use, tolerance=0.0) == {"slope": 0.8468, "intercept": 0.1702}
    changed = {"slope": 0.90, "intercept": 0.15}
    assert adopt_calibration(changed, in_use, tolerance=0.01) == changed
    assert adopt_calibration(refined, None, tolerance=0.01) == {"slope": 0.8468, "intercept": 0.1702}
