"""Networks, masked losses, augmentation, training, determinism and checkpoints of the NDVI models."""

import numpy as np
import pytest
import torch

from sar2ndvi.model import (
    Checkpoint,
    EarlyStopping,
    Normalisation,
    PatchDiscriminator,
    Sen12tpUNet,
    TrainConfig,
    Trainer,
    UNetGenerator,
    build_generator,
    predict,
    train_model,
)
from sar2ndvi.model.augment import augment_batch, predict_with_tta
from sar2ndvi.model.predict import batch_size
from sar2ndvi.model.train import draw_crops, masked_bce, masked_l1, validation_mse

TINY = {"depth": 3, "base_filters": 8, "crop_size": 32, "batch_size": 4}


@pytest.mark.parametrize("rows,cols", [(69, 65), (64, 64), (5, 7)])
def test_generators_keep_any_input_size_and_the_ndvi_range(rows, cols):
    x = torch.randn(2, 10, rows, cols) * 50  # saturates the output activations
    nets = (UNetGenerator(10, 4, 8), UNetGenerator(10, 4, 8, norm="batch"), Sen12tpUNet(10, 3, 8))
    for net in nets:
        out = net.eval()(x)
        assert out.shape == (2, 1, rows, cols)
        assert out.min() >= -1 and out.max() <= 1
    with pytest.raises(ValueError):
        build_generator("resnet", 10)


def test_sen12tp_output_is_the_mapped_sigmoid():
    net = Sen12tpUNet(2, depth=2, base_filters=4).eval()
    with torch.no_grad():
        net.head.weight.zero_()
        net.head.bias.fill_(0.0)
        assert torch.allclose(net(torch.randn(1, 2, 8, 8)), torch.zeros(1, 1, 8, 8))  # 2(σ(0) − 0.5) = 0
        net.head.bias.fill_(100.0)
        assert torch.allclose(net(torch.randn(1, 2, 8, 8)), torch.ones(1, 1, 8, 8))


def test_patch_discriminator_receptive_field_fits_a_crop():
    disc = PatchDiscriminator(10, base_filters=8, n_layers=2).eval()
    x = torch.zeros(1, 10, 64, 64, requires_grad=True)
    logits = disc(x, torch.zeros(1, 1, 64, 64))
    assert logits.shape[0] == 1 and 8 <= logits.shape[-1] < 64
    logits[0, 0, logits.shape[-2] // 2, logits.shape[-1] // 2].backward()
    rows = torch.nonzero(x.grad.abs().sum(dim=(0, 1, 3)))
    assert int(rows.max() - rows.min()) + 1 <= 34


def test_masked_losses_ignore_pixels_outside_the_farm_mask():
    pred = torch.zeros(1, 1, 8, 8)
    target = torch.zeros(1, 1, 8, 8)
    mask = torch.zeros(1, 1, 8, 8)
    mask[..., :4] = 1
    target[..., 4:] = 5.0
    assert masked_l1(pred, target, mask) == 0
    target[..., 0] = 1.0
    assert masked_l1(pred, target, mask) == pytest.approx(0.25)
    logits = torch.randn(1, 1, 2, 2)
    changed = logits.clone()
    changed[..., 1] = 99.0  # patches entirely off the farms
    assert masked_bce(logits, True, mask) == pytest.approx(float(masked_bce(changed, True, mask)))


def _learnable(n=24, size=40, seed=0):
    """NDVI = tanh(0.8·channel 0); the first 5 rows are off the farms (no target)."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 3, size, size)).astype(np.float32)
    y = np.tanh(0.8 * x[:, :1]).astype(np.float32)
    mask = np.ones_like(y, dtype=np.uint8)
    mask[:, :, :5] = 0
    y[:, :, :5] = np.nan
    return {"x": x, "y": y, "mask": mask}


def test_training_ignores_targets_outside_the_mask():
    data = _learnable(8)
    other = {**data, "y": data["y"].copy()}
    other["y"][:, :, :5] = np.random.default_rng(9).uniform(-1, 1, other["y"][:, :, :5].shape)
    cfg = TrainConfig(**TINY, epochs=1, steps_per_epoch=2, seed=3)
    assert train_model(cfg, data).digest == train_model(cfg, other).digest


def test_crops_prefer_farm_pixels_and_pad_small_images():
    data = _learnable(2, size=20)
    data["mask"][:] = 0
    data["mask"][0, 0, 15:, 15:] = 1
    x, y, m = draw_crops(data, np.random.default_rng(0), 6, 32)
    assert x.shape == (6, 3, 32, 32) and torch.isnan(x[:, :, 20:]).all()
    assert (m.mean(dim=(1, 2, 3)) > 0).all() and (y[m == 0] == 0).all()


def test_training_augmentation_keeps_input_target_and_mask_aligned():
    rows, cols = torch.meshgrid(torch.arange(32.0), torch.arange(32.0), indexing="ij")
    coords = rows * 100 + cols
    farm = torch.zeros(32, 32)
    farm[4:20, 6:28] = 1
    farm[20:28, 6:12] = 1  # an L shape: any rotation or flip of it is distinguishable
    x = torch.stack([coords, farm])[None].repeat(4, 1, 1, 1)
    y = (coords * farm)[None, None].repeat(4, 1, 1, 1)
    mask = farm[None, None].repeat(4, 1, 1, 1)
    rng = np.random.default_rng(3)
    # rotations and flips alone are exact permutations of the pixels
    xa, ya, ma = augment_batch(x, y, mask, rng, scale_range=(1.0, 1.0))
    assert torch.equal(xa[:, 1:], ma) and torch.equal(xa[:, :1] * ma, ya)
    for _ in range(5):
        xa, ya, ma = augment_batch(x, y, mask, rng)
        on = ma > 0
        # zoomed target = bilinear coordinates of the input within a pixel (100 = one row)
        assert (ya[on] - xa[:, :1][on]).abs().max() <= 101
        assert (ya[~on] == 0).all()
        # nearest-neighbour mask agrees with the bilinear-resampled farm channel off the edges
        assert ((xa[:, 1:] > 0.5) == on).float().mean() > 0.95


def test_tta_is_undone_exactly_for_an_equivariant_model():
    raw = torch.randn(2, 3, 17, 16)

    def pointwise(x):
        return torch.tanh(x[:, :1] - 0.3 * x[:, 1:2])

    def identity(x):
        return x[:, :1]

    np.testing.assert_array_equal(predict_with_tta(pointwise, raw, factors=(1.0,)), pointwise(raw))
    # value factors 0.95, 1, 1.05 average to 1: a linear model gives its plain prediction
    np.testing.assert_allclose(predict_with_tta(identity, raw), identity(raw), atol=1e-6)
    # a model that is not flip-equivariant does show the averaging
    ramp = torch.arange(16.0).expand(1, 1, 17, 16)
    assert not torch.allclose(predict_with_tta(lambda x: x[:, :1] + ramp, raw, factors=(1.0,)), raw[:, :1] + ramp)


def test_normalisation_standardises_and_zeroes_nan():
    x = np.array([[[[1.0, 3.0]], [[np.nan, 5.0]]]], np.float32)
    stats = Normalisation.fit(x)
    assert stats.mean == (2.0, 5.0) and stats.std == (1.0, 1.0)
    out = stats.transform()(torch.from_numpy(x))
    np.testing.assert_array_equal(out.numpy(), [[[[-1.0, 1.0]], [[0.0, 0.0]]]])


@pytest.mark.parametrize("family", ["pix2pix", "sen12tp_unet"])
def test_training_learns_a_simple_relation(family):
    data = _learnable(16)
    cfg = TrainConfig(family=family, **TINY, epochs=6, steps_per_epoch=6, learning_rate=5e-3, seed=1)
    trained = train_model(cfg, data, _learnable(4, seed=1))
    history = [h["val_mse"] for h in trained.history]
    assert history[-1] < 0.5 * history[0]
    assert (trained.discriminator is None) == (family == "sen12tp_unet")


def test_same_seed_same_weights_and_checkpoint_round_trip(tmp_path):
    data = _learnable(8)
    cfg = TrainConfig(**TINY, epochs=2, steps_per_epoch=2, seed=5)
    first = train_model(cfg, data)
    second = train_model(cfg, data)
    assert first.digest == second.digest
    for key, value in first.generator.items():
        assert torch.equal(value, second.generator[key])
    assert train_model(TrainConfig(**TINY, epochs=2, steps_per_epoch=2, seed=6), data).digest != first.digest
    first.with_(stage="pretrain", variant="pix2pix-plain-aug-s5").save(tmp_path / "m.pt")
    assert [p.name for p in tmp_path.iterdir()] == ["m.pt"]  # no temporary file left behind
    loaded = Checkpoint.load(tmp_path / "m.pt")
    assert loaded.channel_names == ("channel 0", "channel 1", "channel 2")
    assert (loaded.digest, loaded.normalisation, loaded.history) == (first.digest, first.normalisation, first.history)
    assert (loaded.stage, loaded.variant, loaded.settings) == ("pretrain", "pix2pix-plain-aug-s5", first.settings)
    x = data["x"][:2, :, :37, :29]  # whole areas of any size
    plain = predict(first, x, tta=False)
    assert plain.shape == (2, 37, 29) and plain.dtype == np.float32
    np.testing.assert_array_equal(predict(loaded, x, tta=True), predict(first, x, tta=True))
    # the thread count changes nothing, to the last bit
    np.testing.assert_array_equal(predict(loaded, x, tta=False, threads=2), plain)


def test_an_images_ndvi_depends_neither_on_the_other_images_nor_on_the_thread_count():
    model = train_model(TrainConfig(**TINY, epochs=1, steps_per_epoch=2, seed=3), _learnable(8))
    x = _learnable(11, size=45, seed=4)["x"]  # more images than one batch holds, the last batch padded
    assert batch_size(45, 45) < len(x)
    everything = predict(model, x, tta=True, threads=3)
    for threads in (1, 2, 4):
        np.testing.assert_array_equal(predict(model, x, tta=True, threads=threads), everything)
    for part in (slice(0, 1), slice(2, 9), slice(10, 11)):
        np.testing.assert_array_equal(predict(model, x[part], tta=True, threads=2), everything[part])


def test_early_stopping_restores_the_best_epoch():
    data, val = _learnable(8), _learnable(4, seed=2)
    cfg = TrainConfig(**TINY, epochs=5, steps_per_epoch=2, learning_rate=5e-3, early_stopping_patience=1, seed=0)
    trained = train_model(cfg, data, val)
    scores = [h["val_mse"] for h in trained.history]
    assert trained.best_epoch == int(np.argmin(scores)) + 1
    restored = build_generator("pix2pix", 3, 3, 8)
    restored.load_state_dict(trained.generator)
    norm = trained.normalisation.transform()
    assert validation_mse(restored, val, norm, torch.device("cpu")) == pytest.approx(min(scores), rel=1e-5)


def test_early_stopping_waits_patience_epochs_after_the_best_and_keeps_its_weights():
    stopping = EarlyStopping(patience=2)
    scores = [0.5, 0.3, 0.4, 0.35, 0.1]
    stopped = [stopping.update(epoch, score, lambda epoch=epoch: epoch) for epoch, score in enumerate(scores, 1)]
    assert stopped == [False, False, False, True, False]
    assert (stopping.best_epoch, stopping.best_state) == (5, 5)
    without_validation = EarlyStopping(patience=1)
    assert not any(without_validation.update(e, float("nan"), lambda e=e: e) for e in (1, 2, 3))
    assert without_validation.best_state == 3  # the latest epoch


def test_one_step_updates_both_networks_of_pix2pix_and_only_the_generator_of_the_unet():
    data = _learnable(4)
    for family, has_discriminator in (("pix2pix", True), ("sen12tp_unet", False)):
        torch.manual_seed(0)
        cfg = TrainConfig(family=family, **TINY)
        trainer = Trainer(cfg, 3, Normalisation.fit(data["x"]))
        before = trainer.weights()
        x, y, m = draw_crops(data, np.random.default_rng(0), 2, 32)
        losses = trainer.step(trainer.norm(x), y, m)
        after = trainer.weights()
        assert set(losses) == {"loss_g", "loss_d", "l1"} and losses["l1"] > 0
        assert any(not torch.equal(before[0][k], after[0][k]) for k in before[0])
        assert (after[1] is not None) == has_discriminator
        if has_discriminator:
            assert any(not torch.equal(before[1][k], after[1][k]) for k in before[1])


def test_a_file_that_is_not_a_checkpoint_is_named(tmp_path):
    path = tmp_path / "finetune.pt"
    path.write_bytes(b"half a file")
    with pytest.raises(ValueError, match=r"finetune\.pt: not a readable sar2ndvi model checkpoint"):
        Checkpoint.load(path)
    torch.save({"weights": torch.zeros(2)}, path)
    with pytest.raises(ValueError, match=r"finetune\.pt: not a sar2ndvi model checkpoint"):
        Checkpoint.load(path)


def test_fine_tuning_starts_from_the_pretrained_weights():
    data = _learnable(8)
    pre = train_model(TrainConfig(**TINY, epochs=1, steps_per_epoch=2), data)
    tuned = train_model(TrainConfig(**TINY, epochs=0), _learnable(8, seed=4), init=pre)
    assert tuned.digest == pre.digest and tuned.normalisation == pre.normalisation
    with pytest.raises(ValueError, match="does not match"):
        train_model(TrainConfig(**{**TINY, "depth": 4}, epochs=0), data, init=pre)
