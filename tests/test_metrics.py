"""NDVI metrics on farm pixels: hand values, masks, NaN, SSIM, per-date aggregation."""

import numpy as np
import pytest

from sar2ndvi.metrics import constant_prediction, evaluate, evaluate_per_date, pearson, psnr_from_mse, ssim, summarise


def test_metrics_match_hand_values():
    target = np.array([[0.1, 0.5], [0.8, 0.2]])
    pred = target + np.array([[0.1, -0.1], [0.1, -0.1]])
    m = evaluate(pred, target)
    assert m["mse"] == pytest.approx(0.01) and m["mae"] == pytest.approx(0.1) and m["rmse"] == pytest.approx(0.1)
    assert m["psnr"] == pytest.approx(26.0206, abs=1e-4)  # 10·log10(2² / 0.01), MAX = 2 for NDVI
    assert m["pearson"] == pytest.approx(np.corrcoef(pred.ravel(), target.ravel())[0, 1])
    assert m["pixels"] == 4


def test_psnr_edge_cases():
    assert psnr_from_mse(4.0) == pytest.approx(0.0)
    assert psnr_from_mse(0.0) == float("inf")
    assert np.isnan(psnr_from_mse(float("nan")))


def test_pearson_matches_numpy_and_is_nan_for_constant_input():
    rng = np.random.default_rng(1)
    a, b = rng.normal(size=50), rng.normal(size=50)
    assert pearson(a, b) == pytest.approx(np.corrcoef(a, b)[0, 1])
    assert np.isnan(pearson(np.ones(5), b[:5]))
    assert np.isnan(pearson(a[:1], b[:1]))


def test_only_masked_finite_pixels_count():
    target = np.zeros((8, 8))
    pred = np.zeros((8, 8))
    pred[:, :4] = 1.0  # wrong, but outside the mask
    pred[0, 7] = np.nan  # ignored
    target[1, 7] = np.nan  # ignored
    mask = np.zeros((8, 8), bool)
    mask[:, 4:] = True
    m = evaluate(pred, target, mask)
    assert m["mse"] == 0.0 and m["pixels"] == 30 and m["ssim"] == pytest.approx(1.0)


def test_no_valid_pixel_gives_nan_metrics():
    m = evaluate(np.zeros((3, 3)), np.full((3, 3), np.nan))
    assert m["pixels"] == 0 and np.isnan(m["mse"]) and np.isnan(m["ssim"])


def test_ssim_is_one_for_a_perfect_prediction_and_lower_for_noise():
    rng = np.random.default_rng(0)
    rows, cols = np.mgrid[:40, :40]
    ndvi = 0.5 * np.sin(rows / 5.0) * np.cos(cols / 7.0)
    assert ssim(ndvi, ndvi) == pytest.approx(1.0)
    noisy = ndvi + rng.normal(0, 0.1, ndvi.shape)
    assert evaluate(noisy, ndvi)["ssim"] < 0.9


def test_ssim_ignores_predictions_off_the_farms():
    rng = np.random.default_rng(2)
    target = rng.uniform(-0.2, 0.9, (2, 30, 30))
    pred = target + rng.normal(0, 0.05, target.shape)
    mask = np.zeros((30, 30), bool)
    mask[5:20, 8:25] = True
    other = pred.copy()
    other[:, ~mask] = rng.uniform(-1, 1, (2, int((~mask).sum())))
    assert ssim(pred, target, mask) == pytest.approx(ssim(other, target, mask))
    assert evaluate(pred, target, mask)["mse"] == evaluate(other, target, mask)["mse"]


def test_per_date_pools_images_of_a_date_and_summary_weights_dates_equally():
    target = np.zeros((3, 10, 10))
    pred = np.zeros((3, 10, 10))
    pred[0] += 0.1
    pred[1] += 0.3
    pred[2] += 0.2
    rows = evaluate_per_date(pred, target, np.ones((10, 10), bool), ["2017-06-01", "2017-06-01", "2017-07-01"])
    assert [r["date"] for r in rows] == ["2017-06-01", "2017-07-01"]
    assert rows[0]["mse"] == pytest.approx((0.01 + 0.09) / 2) and rows[0]["pixels"] == 200
    assert rows[1]["mae"] == pytest.approx(0.2)
    summary = summarise(rows)
    assert summary["mse"] == pytest.approx((0.05 + 0.04) / 2) and summary["dates"] == 2
    with pytest.raises(ValueError):
        evaluate_per_date(pred, target, None, ["a"])


def test_constant_prediction():
    c = constant_prediction(0.42, (2, 3))
    assert c.shape == (2, 3) and c.dtype == np.float32 and np.all(c == np.float32(0.42))
