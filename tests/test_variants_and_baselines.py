"""Model variants (what a trained model is) and the baselines the method is measured against."""

import numpy as np
import pytest

from sar2ndvi.baselines import FieldForest, field_features, fit_rvi_regression
from sar2ndvi.indexes import CHANNEL_NAMES, PLAIN_CHANNEL_NAMES
from sar2ndvi.variants import (
    ABLATION_TABLE,
    DATASET_CHANNELS,
    HEIGHT_CHANNEL,
    LAND_COVER_CHANNEL,
    ModelVariant,
    channel_positions,
)


def test_a_variant_name_round_trips_and_names_its_settings():
    variant = ModelVariant("sen12tp_unet", sar_indexes=False, dem=True, train_augmentation=False, seed=7)
    assert variant.name == "sen12tp_unet-plain_dem-noaug-s7"
    assert ModelVariant.parse(variant.name) == variant
    assert ModelVariant.parse("pix2pix-indexes-aug-s42") == ModelVariant()
    with_land_cover = ModelVariant("sen12tp_unet", sar_indexes=False, dem=True, land_cover=True)
    assert with_land_cover.name == "sen12tp_unet-plain_dem_lc-aug-s42"
    assert ModelVariant.parse(with_land_cover.name) == with_land_cover
    assert with_land_cover.channels[-2:] == (HEIGHT_CHANNEL, LAND_COVER_CHANNEL)


@pytest.mark.parametrize("name", ["pix2pix-indexes-aug", "unet-indexes-aug-s1", "pix2pix-dem-aug-s1", "x"])
def test_a_malformed_variant_name_is_refused(name):
    with pytest.raises(ValueError, match="not a model variant"):
        ModelVariant.parse(name)


def test_variant_channels_are_selected_by_name_from_the_dataset():
    assert ModelVariant().channels == CHANNEL_NAMES
    plain_dem = ModelVariant(sar_indexes=False, dem=True)
    assert plain_dem.channels == (*PLAIN_CHANNEL_NAMES, HEIGHT_CHANNEL)
    assert channel_positions(DATASET_CHANNELS, plain_dem.channels) == [0, 3, 10]
    with pytest.raises(ValueError, match="rebuild the dataset"):
        channel_positions(CHANNEL_NAMES, plain_dem.channels)


def test_the_ablation_rows_are_table_3_and_map_to_the_right_models():
    main = ModelVariant()
    assert [r.method for r in ABLATION_TABLE] == ["Ours"] + [f"Ablation {k}" for k in range(1, 6)]
    assert min(ABLATION_TABLE, key=lambda r: r.paper_mse).method == "Ours"
    models = {r.method: (v.name, stage) for r in ABLATION_TABLE for v, stage in [r.model(main)]}
    assert models["Ours"] == ("pix2pix-indexes-aug-s42", "finetune")
    assert models["Ablation 1"] == ("pix2pix-indexes-aug-s42", "scratch")
    assert models["Ablation 2"] == ("pix2pix-indexes-aug-s42", "pretrain")
    assert models["Ablation 3"] == ("pix2pix-plain-aug-s42", "finetune")
    assert models["Ablation 4"] == ("pix2pix-indexes-noaug-s42", "finetune")
    assert models["Ablation 5"] == models["Ours"], "only test-time augmentation differs"


def test_rvi_regression_recovers_a_linear_relation_on_masked_pixels():
    rng = np.random.default_rng(0)
    rvi = rng.uniform(0.2, 1.2, (4, 20, 20))
    ndvi = 0.6 * rvi + 0.05
    mask = rng.random(rvi.shape) > 0.3
    ndvi_off_farm = np.where(mask, ndvi, 5.0)  # off-farm values must not enter the fit
    fit = fit_rvi_regression(rvi, ndvi_off_farm, mask)
    assert fit.slope == pytest.approx(0.6) and fit.intercept == pytest.approx(0.05)


def _fields(n_samples: int, rng: np.random.Generator):
    """Three fields whose NDVI follows their mean VH-like channel, plus texture noise."""
    parcels = np.zeros((12, 12), np.int64)
    parcels[:6, :6], parcels[:6, 6:], parcels[6:, :] = 1, 2, 3
    level = rng.uniform(0.0, 1.0, (n_samples, 4))
    x = np.zeros((n_samples, 2, 12, 12), np.float32)
    y = np.zeros((n_samples, 1, 12, 12), np.float32)
    for n in range(n_samples):
        for pid in (1, 2, 3):
            x[n, 0][parcels == pid] = level[n, pid] + rng.normal(0, 0.01, (parcels == pid).sum())
            x[n, 1][parcels == pid] = rng.normal(0, 1, (parcels == pid).sum())
            y[n, 0][parcels == pid] = 0.8 * level[n, pid]
    return x, y, np.ones_like(y, np.uint8), parcels


def test_field_features_are_per_field_channel_statistics():
    x, _, _, parcels = _fields(2, np.random.default_rng(1))
    x[1, :, 0, 0] = np.nan  # a pixel without SAR is left out of its field's statistics
    features, sample, parcel = field_features(x, parcels)
    assert features.shape == (6, 4) and list(sample) == [0, 0, 0, 1, 1, 1] and list(parcel) == [1, 2, 3] * 2
    field_one = (parcels == 1) & np.isfinite(x[1, 0])
    assert features[3, 0] == pytest.approx(x[1, 0][field_one].mean())
    assert features[3, 2] == pytest.approx(x[1, 0][field_one].std())


def test_field_forest_learns_field_means_and_paints_them_on_the_fields():
    rng = np.random.default_rng(2)
    forest = FieldForest(trees=50, seed=0).fit(*_fields(60, rng))
    x, y, _, parcels = _fields(10, rng)
    parcels_with_road = parcels.copy()
    parcels_with_road[:, 11] = 0
    prediction = forest.predict(x, parcels_with_road)
    assert np.isnan(prediction[:, :, 11]).all(), "pixels outside the fields get no value"
    for pid in (1, 2, 3):
        values = prediction[:, parcels_with_road == pid]
        assert (values == values[:, :1]).all(), "one value per field and date"
    error = np.nanmean((prediction[:, :, :11] - y[:, 0, :, :11]) ** 2)
    assert error < 0.1 * y.var()


def test_field_forest_without_any_target_says_so():
    x, y, mask, parcels = _fields(3, np.random.default_rng(3))
    with pytest.raises(ValueError, match="no field has both"):
        FieldForest(trees=5).fit(x, y, np.zeros_like(mask), parcels)
