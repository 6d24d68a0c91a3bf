"""SAR index channels (Kimura et al. eqs. 4–7) and the SEN12TP metrics."""

import numpy as np
import pytest
import rasterio

from sar2ndvi.indexes import CHANNEL_NAMES, sar_index_channels, to_db
from sar2ndvi.metrics import evaluate

VV, VH = 0.1, 0.02  # linear σ0: −10 dB and about −17 dB


def _channels(vv=VV, vh=VH, shape=(4, 4)):
    return sar_index_channels(np.full(shape, vv), np.full(shape, vh))


def test_ten_channels_in_the_papers_order():
    assert len(CHANNEL_NAMES) == 10
    assert _channels().shape == (10, 4, 4)


def test_ratio_indexes_follow_equations_4_to_7():
    c = _channels()[:, 0, 0]
    total = VV + VH
    assert c[4] == pytest.approx((1 - VV / total) * VH)  # PRVI, eq. 4
    assert c[5] == pytest.approx((VV - VH) / total)  # RFDI, eq. 5
    assert c[6] == pytest.approx(np.sqrt(VV / total) * 4 * VH / total)  # RVI4S1, eq. 6
    assert c[7] == pytest.approx(4 * VH / total)  # RVI, eq. 7


def test_db_channels_sum_difference_and_clipping():
    c = _channels(vv=1e-4, vh=1e-5)[:, 0, 0]  # −40 dB and −50 dB
    assert c[0] == pytest.approx(-25.0)  # VV clipped to SEN12TP's [−25, 0] dB
    assert c[2] == pytest.approx(-50.0)  # VH unclipped
    assert c[3] == pytest.approx(-32.5)  # VH clipped to [−32.5, 0] dB
    assert c[8] == pytest.approx(-90.0) and c[9] == pytest.approx(-10.0)


def test_percentile_range_clip_removes_outliers_only(real_data):
    path = real_data / "s1_backscatter_db_geocoded_pyrosar/S1A__IW___A_20150309T173017_VV_grd_mli_geo_norm_db.tif"
    with rasterio.open(path) as src:
        vv_db = src.read(1, masked=True).filled(np.nan)
    vv = 10 ** (vv_db / 10)
    channels = sar_index_channels(vv, vv / 5)
    clipped = channels[1]
    low, high = np.nanpercentile(vv_db, [0.25, 99.75])
    assert np.nanmin(clipped) == pytest.approx(low, abs=1e-4) and np.nanmax(clipped) == pytest.approx(high, abs=1e-4)
    inside = (vv_db > low) & (vv_db < high)
    np.testing.assert_allclose(clipped[inside], vv_db[inside], atol=1e-4)


def test_no_data_stays_no_data():
    vv = np.array([[np.nan, 0.1]])
    c = sar_index_channels(vv, np.array([[0.01, 0.0]]))
    assert np.isnan(c[:, 0, 0]).all()
    assert np.isnan(to_db(np.array([0.0, -1.0]))).all()


def test_metrics_match_hand_values():
    target = np.array([[0.1, 0.5], [0.8, 0.2]])
    pred = target + np.array([[0.1, -0.1], [0.1, -0.1]])
    m = evaluate(pred, target)
    assert m["mse"] == pytest.approx(0.01) and m["mae"] == pytest.approx(0.1) and m["rmse"] == pytest.approx(0.1)
    assert m["psnr"] == pytest.approx(10 * np.log10(4 / 0.01))  # MAX = 2 for NDVI
    assert m["pearson"] == pytest.approx(np.corrcoef(pred.ravel(), target.ravel())[0, 1])


def test_metrics_use_only_masked_finite_pixels():
    target = np.zeros((8, 8))
    pred = np.zeros((8, 8))
    pred[:, :4] = 1.0  # wrong, but outside the mask
    pred[0, 7] = np.nan
    mask = np.zeros((8, 8), bool)
    mask[:, 4:] = True
    m = evaluate(pred, target, mask)
    assert m["mse"] == 0.0 and m["pixels"] == 31


def test_ssim_is_one_for_a_perfect_prediction_and_lower_otherwise(real_data):
    ndvi = np.load(real_data / "s2_ndvi_timeseries_eolearn/TestEOPatch/data/NDVI.npy")[5, ..., 0]
    assert evaluate(ndvi, ndvi)["ssim"] == pytest.approx(1.0)
    noisy = ndvi + np.random.default_rng(0).normal(0, 0.1, ndvi.shape)
    assert evaluate(noisy, ndvi)["ssim"] < 0.9
