"""The networks, masked losses, augmentation and training of the NDVI models."""

import numpy as np
import pytest
import torch

from sar2ndvi.model import PatchDiscriminator, Sen12tpUNet, TrainConfig, UNetGenerator, predict, train_model
from sar2ndvi.model.augment import augment_batch, predict_with_tta
from sar2ndvi.model.predict import load_bundle
from sar2ndvi.model.train import masked_l1, save_bundle


def test_generators_keep_any_input_size_and_the_ndvi_range():
    x = torch.randn(2, 10, 69, 65) * 5
    for net in (UNetGenerator(10, depth=4, base_filters=8), Sen12tpUNet(10, depth=3, base_filters=8)):
        out = net.eval()(x)
        assert out.shape == (2, 1, 69, 65)
        assert out.min() >= -1 and out.max() <= 1


def test_patch_discriminator_scores_patches():
    logits = PatchDiscriminator(10, base_filters=8, n_layers=2)(torch.zeros(1, 10, 64, 64), torch.zeros(1, 1, 64, 64))
    assert logits.shape[0] == 1 and 4 <= logits.shape[-1] < 64


def test_masked_l1_ignores_pixels_outside_the_farm_mask():
    pred = torch.zeros(1, 1, 4, 4)
    target = torch.zeros(1, 1, 4, 4)
    mask = torch.zeros(1, 1, 4, 4)
    mask[..., :2] = 1
    target[..., 2:] = 5.0
    assert masked_l1(pred, target, mask) == 0
    target[..., 0] = 1.0
    assert masked_l1(pred, target, mask) == pytest.approx(0.5)


def test_training_augmentation_keeps_input_target_and_mask_aligned():
    rows, cols = torch.meshgrid(torch.arange(32.0), torch.arange(32.0), indexing="ij")
    coords = (rows * 100 + cols)[None, None]
    rng = np.random.default_rng(3)
    for _ in range(10):
        x, y, m = augment_batch(coords.repeat(1, 2, 1, 1), coords.clone(), coords.clone(), rng)
        np.testing.assert_allclose(x[:, :1], y, atol=1e-3)
        # the mask is resampled by nearest neighbour: it may differ by up to one pixel (100 = one row)
        inside = m[0, 0] > 0
        np.testing.assert_allclose(y[0, 0][inside], m[0, 0][inside], atol=101)


def test_tta_of_a_pointwise_model_equals_plain_prediction_without_value_change():
    def model(x):
        return torch.tanh(x[:, :1])

    raw = torch.randn(2, 3, 16, 16)
    out = predict_with_tta(model, raw, lambda v: v)
    # flips are undone exactly; value factors 0.98, 1, 1.02 average to nearly the plain prediction
    np.testing.assert_allclose(out.numpy(), model(raw).numpy(), atol=2e-3)


def _learnable(n=24, size=40, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 3, size, size)).astype(np.float32)
    y = np.tanh(0.8 * x[:, :1]).astype(np.float32)
    mask = np.ones_like(y, dtype=np.uint8)
    mask[:, :, :5] = 0
    y[:, :, :5] = np.nan  # no target off the farms
    return {"x": x, "y": y, "mask": mask}


@pytest.mark.parametrize("family", ["pix2pix", "sen12tp_unet"])
def test_training_learns_a_simple_relation(family):
    data = _learnable(48)
    cfg = TrainConfig(family=family, depth=3, base_filters=8, epochs=12, batch_size=8, crop_size=32, seed=1)
    bundle = train_model(cfg, data, _learnable(8, seed=1))
    history = [h["val_mse"] for h in bundle["history"]]
    assert history[-1] < history[0]


def test_same_seed_same_weights_and_checkpoint_round_trip(tmp_path):
    data = _learnable(12)
    cfg = TrainConfig(depth=3, base_filters=8, epochs=2, batch_size=4, crop_size=32, seed=5)
    first = train_model(cfg, data)
    second = train_model(cfg, data)
    assert first["digest"] == second["digest"]
    save_bundle(first, tmp_path / "m.pt")
    loaded = load_bundle(tmp_path / "m.pt")
    np.testing.assert_array_equal(predict(first, data["x"][:2], tta=True), predict(loaded, data["x"][:2], tta=True))


def test_fine_tuning_starts_from_the_pretrained_weights():
    data = _learnable(12)
    pre = train_model(TrainConfig(depth=3, base_filters=8, epochs=2, batch_size=4, crop_size=32), data)
    tuned = train_model(TrainConfig(depth=3, base_filters=8, epochs=0, batch_size=4, crop_size=32), data, init=pre)
    assert tuned["digest"] == pre["digest"]
    assert tuned["normalisation"] == pre["normalisation"]
