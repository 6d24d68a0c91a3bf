"""SAR index channels: Kimura et al. eqs. 4–7, dB clipping, percentile clipping and no-data."""

import numpy as np
import pytest

from sar2ndvi.indexes import (
    CHANNEL_NAMES,
    PLAIN_CHANNEL_INDEXES,
    PLAIN_CHANNEL_NAMES,
    channel_names,
    sar_channels,
    sar_index_channels,
    to_db,
)

VV, VH = 0.1, 0.02  # linear σ0: −10 dB and −16.99 dB


def _pixel(vv: float = VV, vh: float = VH) -> np.ndarray:
    return sar_index_channels(np.full((3, 3), vv), np.full((3, 3), vh))[:, 1, 1]


def test_ten_float32_channels_in_the_papers_order():
    c = sar_index_channels(np.full((4, 5), VV), np.full((4, 5), VH))
    assert c.shape == (10, 4, 5) and c.dtype == np.float32
    assert CHANNEL_NAMES[4:8] == ("PRVI", "RFDI", "RVI4S1", "RVI")
    assert len(CHANNEL_NAMES) == 10


def test_ratio_indexes_match_hand_computed_values():
    # VV + VH = 0.12; hand-computed from eqs. 4–7 on linear power
    c = _pixel()
    assert c[4] == pytest.approx(0.02 / 6, rel=1e-6)  # PRVI = (1 − 0.1/0.12)·0.02
    assert c[5] == pytest.approx(2 / 3, rel=1e-6)  # RFDI = 0.08 / 0.12
    assert c[6] == pytest.approx(0.6085806, rel=1e-6)  # RVI4S1 = sqrt(5/6)·2/3
    assert c[7] == pytest.approx(2 / 3, rel=1e-6)  # RVI = 0.08 / 0.12


def test_db_channels_sum_and_difference():
    c = _pixel()
    assert c[0] == pytest.approx(-10.0) and c[3] == pytest.approx(-16.9897, abs=1e-4)
    assert c[8] == pytest.approx(-26.9897, abs=1e-4)  # VH + VV in dB
    assert c[9] == pytest.approx(-6.9897, abs=1e-4)  # VH − VV in dB (cross-pol ratio)


def test_fixed_clip_ranges_are_sen12tps():
    low = _pixel(vv=1e-4, vh=1e-5)  # −40 dB, −50 dB
    assert low[0] == pytest.approx(-25.0) and low[3] == pytest.approx(-32.5)
    assert low[2] == pytest.approx(-50.0)  # "original" VH is not clipped
    assert low[8] == pytest.approx(-90.0) and low[9] == pytest.approx(-10.0)  # from unclipped dB
    high = _pixel(vv=2.0, vh=1.5)  # +3.0 dB, +1.8 dB
    assert high[0] == 0.0 and high[3] == 0.0 and high[2] > 1.7


def test_percentile_range_clip_bounds_the_central_99_5_percent():
    rng = np.random.default_rng(0)
    vv_db = rng.normal(-12, 3, (100, 100))
    vv_db[0, :5] = [-60, -55, 20, 25, 30]  # outliers
    vv_db[1, 0] = np.nan  # no data must not enter the percentiles
    vv = 10 ** (vv_db / 10)
    clipped = sar_index_channels(vv, vv / 5)[1]
    low, high = np.nanpercentile(vv_db, [0.25, 99.75])
    assert np.nanmin(clipped) == pytest.approx(low, abs=1e-4)
    assert np.nanmax(clipped) == pytest.approx(high, abs=1e-4)
    inside = (vv_db > low) & (vv_db < high)
    np.testing.assert_allclose(clipped[inside], vv_db[inside], atol=1e-4)
    assert 0.004 <= np.mean(np.isfinite(vv_db) & ~inside) <= 0.006  # 0.5 % clipped


def test_missing_either_polarisation_is_no_data_in_every_channel():
    vv = np.array([[np.nan, 0.1, 0.0, 0.1, 0.1]])
    vh = np.array([[0.01, np.inf, 0.01, -1.0, 0.01]])
    c = sar_index_channels(vv, vh)
    assert np.isnan(c[:, 0, :4]).all()
    assert np.isfinite(c[:, 0, 4]).all()
    assert np.isnan(to_db(np.array([0.0, -1.0, np.nan]))).all()


def test_all_missing_gives_nan_without_warnings():
    with np.errstate(all="raise"):
        c = sar_index_channels(np.full((2, 2), np.nan), np.full((2, 2), np.nan))
    assert np.isnan(c).all()


def test_shape_mismatch_is_an_error():
    with pytest.raises(ValueError, match="shape"):
        sar_index_channels(np.ones((2, 2)), np.ones((2, 3)))


def test_plain_variant_is_the_two_clipped_backscatter_channels():
    vv, vh = np.full((2, 2), 1e-4), np.full((2, 2), 1e-5)
    plain = sar_channels(vv, vh, use_indexes=False)
    full = sar_channels(vv, vh, use_indexes=True)
    assert plain.shape == (2, 2, 2) and full.shape == (10, 2, 2)
    np.testing.assert_array_equal(plain, full[list(PLAIN_CHANNEL_INDEXES)])
    assert channel_names(False) == PLAIN_CHANNEL_NAMES == ("VV clipped (dB)", "VH clipped (dB)")
    assert plain[0, 0, 0] == pytest.approx(-25.0) and plain[1, 0, 0] == pytest.approx(-32.5)


def test_the_channels_are_the_table_of_indexes_in_its_order(monkeypatch):
    from sar2ndvi import indexes

    vv, vh = np.array([[0.2, 0.05]]), np.array([[0.04, 0.01]])
    assert indexes.CHANNEL_NAMES == tuple(index.name for index in indexes.SAR_INDEXES)
    extra = indexes.SarIndex("VH/VV", lambda b: b.vh / b.vv)
    monkeypatch.setattr(indexes, "SAR_INDEXES", (*indexes.SAR_INDEXES, extra))
    channels = indexes.sar_index_channels(vv, vh)
    assert channels.shape == (11, 1, 2)
    np.testing.assert_allclose(channels[-1], vh / vv, rtol=1e-6)
