"""The Lee speckle filter: it removes speckle over homogeneous fields, keeps edges and is NaN-aware."""

import numpy as np
import pytest

from sar2ndvi.sentinel1.speckle import apply_speckle_filter, lee_filter

ENL = 4.4


def _speckle(shape, rng):
    return rng.standard_gamma(ENL, shape) / ENL


def test_speckle_over_a_constant_field_is_reduced_and_the_mean_kept():
    rng = np.random.default_rng(0)
    sigma0 = 0.05 * _speckle((400, 400), rng)
    filtered = lee_filter(sigma0, size=7, enl=ENL)
    cv_before = sigma0.std() / sigma0.mean()
    cv_after = filtered.std() / filtered.mean()
    assert cv_before == pytest.approx(1 / np.sqrt(ENL), rel=0.03)
    assert cv_after < 0.35 * cv_before, "a 7 × 7 window averages about 49 looks' worth of speckle"
    assert filtered.mean() == pytest.approx(sigma0.mean(), rel=0.01)


def test_an_edge_between_two_fields_stays_sharp():
    rng = np.random.default_rng(1)
    truth = np.where(np.arange(200)[None, :] < 100, 0.01, 0.2) * np.ones((200, 1))
    filtered = lee_filter(truth * _speckle(truth.shape, rng), size=7, enl=ENL)
    profile = filtered.mean(axis=0)
    # more than 3 pixels (half the window) from the edge, each side is at its own level
    assert profile[:97].mean() == pytest.approx(0.01, rel=0.1)
    assert profile[104:].mean() == pytest.approx(0.2, rel=0.1)
    assert profile[95] < 0.05 and profile[105] > 0.15


def test_no_data_pixels_stay_no_data_and_do_not_spread():
    rng = np.random.default_rng(2)
    sigma0 = 0.05 * _speckle((60, 60), rng)
    sigma0[:, :3] = np.nan  # the border fill of a GRD
    filtered = lee_filter(sigma0, size=5, enl=ENL)
    assert np.isnan(filtered[:, :3]).all()
    assert np.isfinite(filtered[:, 3:]).all()


def test_none_leaves_the_image_unchanged_and_bad_settings_are_refused():
    image = np.ones((8, 8), np.float32)
    assert apply_speckle_filter(image, "none") is image
    with pytest.raises(ValueError, match="odd"):
        lee_filter(image, size=4)
    with pytest.raises(ValueError, match="unknown speckle filter"):
        apply_speckle_filter(image, "median")
