"""Training: pix2pix (cGAN + λ·L1) or the SEN12TP U-Net (L1 only), losses masked to farm pixels.

A dataset is a dict of numpy arrays:

- ``x`` (N, C, H, W) float32 raw SAR channels (:mod:`sar2ndvi.indexes`; NaN = no SAR),
- ``y`` (N, 1, H, W) float32 NDVI (NaN = no valid target),
- ``mask`` (N, 1, H, W) uint8/bool, 1 on farm pixels with a valid target.

Inputs are standardised per channel with the training set's mean and standard deviation over all
valid pixels (the network sees every pixel, not only farms); NaN becomes 0, the mean.

Each step draws ``batch_size`` random crops of ``crop_size`` px (a crop with ≥ 5 % farm pixels is
preferred, up to 10 draws), optionally augments them (:mod:`sar2ndvi.model.augment`) and updates:

- the PatchGAN discriminator with BCE-with-logits on real (x, y) and fake (x, G(x)) pairs, each
  patch logit weighted by the fraction of farm pixels under it (the mask average-pooled to the
  logit grid); real and fake NDVI are both zeroed off the farms, so the discriminator cannot tell
  them apart by non-farm pixels, which have no target;
- the generator with λ·L1 over farm pixels plus the same mask-weighted adversarial BCE (pix2pix), or
  L1 over farm pixels alone (SEN12TP U-Net).

An epoch is ``steps_per_epoch`` steps; by default as many crops as cover the training images once
(N · ⌈H/crop⌉ · ⌈W/crop⌉ crops), so a large pre-training area gets proportionally more steps than a
small fine-tuning area. After each epoch the validation MSE over the farm pixels of the whole
validation images (no augmentation) is recorded; with ``early_stopping_patience`` training stops
after that many epochs without improvement and the best epoch's weights are restored.

:class:`Trainer` holds the networks and their optimisers: :meth:`Trainer.step` is one update,
:meth:`Trainer.epoch` an epoch of steps, :meth:`Trainer.validate` the validation MSE,
:class:`EarlyStopping` watches it, and :meth:`Trainer.fit` runs the schedule and returns a
:class:`~sar2ndvi.model.checkpoint.Checkpoint`. :func:`train_model` runs it deterministically.

On the CPU a seed makes training deterministic (numpy ``Generator`` for crops and augmentation,
``torch.manual_seed`` for weights and dropout in a forked RNG state, deterministic algorithms).
"""

from __future__ import annotations

import copy
import logging
import math
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from sar2ndvi.model.augment import augment_batch
from sar2ndvi.model.checkpoint import Checkpoint, Normalisation, channel_names_of, cpu_state
from sar2ndvi.model.networks import FAMILIES, PatchDiscriminator, build_generator, resolve_device

log = logging.getLogger(__name__)

MIN_MASK_FRACTION = 0.05
CROP_ATTEMPTS = 10
#: a dataset: ``x`` (N, C, H, W), ``y`` (N, 1, H, W), ``mask`` (N, 1, H, W); see the module's doc
Samples = dict[str, np.ndarray]


@dataclass
class TrainConfig:
    """Hyper-parameters. Defaults suit areas of 60–100 px a side, 64-px crops and 2 CPU cores.

    Attributes:
        family: ``pix2pix`` (U-Net generator + PatchGAN) or ``sen12tp_unet`` (U-Net, L1 only).
        depth: generator levels; inputs are padded to a multiple of 2**depth.
        base_filters: filters of the first generator (and discriminator) layer.
        epochs: maximum number of epochs.
        batch_size: crops per step.
        crop_size: crop side in px.
        learning_rate: Adam learning rate (pix2pix: 2e-4).
        betas: Adam betas (pix2pix: 0.5, 0.999).
        lambda_l1: weight of the L1 term against the adversarial term (pix2pix: 100).
        discriminator_layers: PatchGAN layers (2: 34-px receptive field; 3: 70 px).
        norm: generator normalisation, ``instance`` or ``batch`` (pix2pix only).
        train_augmentation: random rotation, flips and zoom of the crops.
        early_stopping_patience: epochs without validation improvement before stopping; None = off.
        steps_per_epoch: steps per epoch; None = as many crops as cover the training images once.
        seed: seed of crops, augmentation, weights and dropout.
        device: ``auto`` (CUDA if available), ``cpu``, ``cuda``, ``cuda:1`` …
        threads: CPU threads for torch during training.
    """

    family: str = "pix2pix"
    depth: int = 4
    base_filters: int = 16
    epochs: int = 10
    batch_size: int = 8
    crop_size: int = 64
    learning_rate: float = 2e-4
    betas: tuple[float, float] = (0.5, 0.999)
    lambda_l1: float = 100.0
    discriminator_layers: int = 2
    norm: str = "instance"
    train_augmentation: bool = True
    early_stopping_patience: int | None = None
    steps_per_epoch: int | None = None
    seed: int = 42
    device: str = "auto"
    threads: int = 2

    def __post_init__(self) -> None:
        if self.family not in FAMILIES:
            raise ValueError(f"unknown model family {self.family!r}; use one of {FAMILIES}")
        self.betas = (float(self.betas[0]), float(self.betas[1]))

    @classmethod
    def from_config(cls, model: dict, epochs: int, early_stopping: bool) -> TrainConfig:
        """From the workflow's ``model:`` config section."""
        return cls(
            family=model["family"],
            depth=model["depth"],
            base_filters=model["base_filters"],
            epochs=epochs,
            batch_size=model["batch_size"],
            crop_size=model["crop_size"],
            learning_rate=model["learning_rate"],
            lambda_l1=model["lambda_l1"],
            norm=model.get("norm", "instance"),
            train_augmentation=model["train_augmentation"],
            early_stopping_patience=model["early_stopping_patience"] if early_stopping else None,
            steps_per_epoch=model.get("steps_per_epoch"),
            seed=model["seed"],
            device=model.get("device", "auto"),
            threads=model["threads"],
        )


def init_weights(module: nn.Module) -> None:
    """pix2pix initialisation: conv weights N(0, 0.02), norm scales N(1, 0.02), biases 0."""
    for m in module.modules():
        if isinstance(m, nn.Conv2d | nn.ConvTranspose2d):
            nn.init.normal_(m.weight, 0.0, 0.02)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, nn.BatchNorm2d | nn.InstanceNorm2d) and m.weight is not None:
            nn.init.normal_(m.weight, 1.0, 0.02)
            nn.init.zeros_(m.bias)


def masked_l1(pred: torch.Tensor, target: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean absolute error over pixels where ``mask`` is 1 (0 if there are none)."""
    mask = mask.to(pred.dtype)
    return (torch.abs(pred - target) * mask).sum() / mask.sum().clamp(min=1.0)


def patch_weights(mask: torch.Tensor, logits: torch.Tensor) -> torch.Tensor:
    """Weights of the discriminator's patch logits: farm fraction per patch, normalised to sum 1."""
    weights = F.adaptive_avg_pool2d(mask.to(logits.dtype), logits.shape[-2:])
    return weights / weights.sum().clamp(min=1e-6)


def masked_bce(logits: torch.Tensor, real: bool, mask: torch.Tensor) -> torch.Tensor:
    """BCE-with-logits against all-real or all-fake labels, averaged with :func:`patch_weights`."""
    labels = torch.ones_like(logits) if real else torch.zeros_like(logits)
    return (F.binary_cross_entropy_with_logits(logits, labels, reduction="none") * patch_weights(mask, logits)).sum()


def _sampleable(mask: np.ndarray) -> np.ndarray:
    """Indices of samples with at least one farm pixel (all samples if none has any)."""
    has = np.flatnonzero(np.asarray(mask).reshape(len(mask), -1).any(axis=1))
    return has if has.size else np.arange(len(mask))


def draw_crops(
    data: dict[str, np.ndarray], rng: np.random.Generator, batch: int, size: int, samples: np.ndarray | None = None
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Random crops (batch, ·, size, size): raw x (NaN kept), y (0 off the mask) and mask (0/1 float).

    Images smaller than ``size`` are padded (x with NaN, y and mask with 0).
    """
    n, _, rows, cols = data["x"].shape
    samples = np.arange(n) if samples is None else samples
    xs, ys, ms = [], [], []
    for _ in range(batch):
        for _attempt in range(CROP_ATTEMPTS):
            i = int(samples[rng.integers(len(samples))])
            r = int(rng.integers(max(rows - size, 0) + 1))
            c = int(rng.integers(max(cols - size, 0) + 1))
            m = np.asarray(data["mask"][i, :, r : r + size, c : c + size]) > 0
            if m.mean() >= MIN_MASK_FRACTION:
                break
        x = data["x"][i, :, r : r + size, c : c + size]
        y = data["y"][i, :, r : r + size, c : c + size]
        m = m & np.isfinite(y)
        pad = ((0, 0), (0, size - x.shape[1]), (0, size - x.shape[2]))
        xs.append(np.pad(x.astype(np.float32), pad, constant_values=np.nan))
        ys.append(np.pad(np.where(m, y, 0.0).astype(np.float32), pad))
        ms.append(np.pad(m.astype(np.float32), pad))
    return torch.from_numpy(np.stack(xs)), torch.from_numpy(np.stack(ys)), torch.from_numpy(np.stack(ms))


def validation_mse(
    generator: nn.Module, data: dict[str, np.ndarray], norm: Callable, device: torch.device, batch: int = 8
) -> float:
    """MSE (NDVI²) over the farm pixels of whole validation images, without augmentation."""
    was_training = generator.training
    generator.eval()
    total, count = 0.0, 0.0
    with torch.no_grad():
        for i in range(0, len(data["x"]), batch):
            x = norm(torch.from_numpy(np.asarray(data["x"][i : i + batch]))).to(device)
            y = np.asarray(data["y"][i : i + batch], np.float32)
            m = (np.asarray(data["mask"][i : i + batch]) > 0) & np.isfinite(y)
            pred = generator(x).cpu().numpy()
            total += float(((pred - np.nan_to_num(y)) ** 2)[m].astype(np.float64).sum())
            count += float(m.sum())
    generator.train(was_training)
    return total / count if count else float("nan")


def steps_per_epoch(cfg: TrainConfig, shape: tuple[int, ...]) -> int:
    """``cfg.steps_per_epoch``, else as many steps as crops cover the training images (N, C, H, W) once."""
    if cfg.steps_per_epoch:
        return cfg.steps_per_epoch
    n, _, rows, cols = shape
    crops = n * math.ceil(rows / cfg.crop_size) * math.ceil(cols / cfg.crop_size)
    return max(1, math.ceil(crops / cfg.batch_size))


class EarlyStopping:
    """Keeps the weights of the epoch with the lowest validation MSE; says when to stop.

    Without a finite score (no validation) every epoch is the best so far, so the latest weights
    are kept. With ``patience`` None it never stops early and the last epoch's weights are the result.
    """

    def __init__(self, patience: int | None) -> None:
        self.patience = patience
        self.best_score = math.inf
        self.best_epoch = 0
        self.best_state: tuple[dict, dict | None] | None = None
        self.since_best = 0

    def update(self, epoch: int, score: float, state: Callable[[], tuple[dict, dict | None]]) -> bool:
        """Record an epoch's score (``state`` copies its weights when they are the best); True: stop now."""
        if not math.isfinite(score):
            score = -epoch
        if score < self.best_score:
            self.best_score, self.best_epoch, self.best_state = score, epoch, state()
            self.since_best = 0
            return False
        self.since_best += 1
        return bool(self.patience) and self.since_best >= self.patience


class Trainer:
    """The networks of one model and their optimisers, built from the settings (and a checkpoint to start from).

    Building draws the initial weights from torch's global RNG: seed it first (:func:`train_model` does).
    """

    def __init__(
        self, cfg: TrainConfig, channels: int, normalisation: Normalisation, init: Checkpoint | None = None
    ) -> None:
        self.cfg = cfg
        self.device = resolve_device(cfg.device)
        self.normalisation = normalisation
        self.norm = normalisation.transform()
        self.gan = cfg.family == "pix2pix"
        self.generator = build_generator(cfg.family, channels, cfg.depth, cfg.base_filters, cfg.norm)
        self.discriminator = (
            PatchDiscriminator(channels, cfg.base_filters, cfg.discriminator_layers) if self.gan else None
        )
        if self.gan:
            init_weights(self.generator)
            init_weights(self.discriminator)
        if init:
            self.generator.load_state_dict(init.generator)
            if self.gan and init.discriminator:
                self.discriminator.load_state_dict(init.discriminator)
        self.generator.to(self.device).train()
        self.opt_g = torch.optim.Adam(self.generator.parameters(), lr=cfg.learning_rate, betas=cfg.betas)
        if self.gan:
            self.discriminator.to(self.device).train()
            self.opt_d = torch.optim.Adam(self.discriminator.parameters(), lr=cfg.learning_rate, betas=cfg.betas)

    def step(self, x: torch.Tensor, y: torch.Tensor, m: torch.Tensor) -> dict[str, float]:
        """One update on a batch of normalised inputs, targets and farm masks: the discriminator's, then the
        generator's. Returns the losses (``loss_g``, ``loss_d``, ``l1``)."""
        x, y, m = x.to(self.device), y.to(self.device), m.to(self.device)
        fake = self.generator(x)
        loss_d = 0.0
        if self.gan:
            self.opt_d.zero_grad(set_to_none=True)
            loss = 0.5 * (
                masked_bce(self.discriminator(x, y * m), True, m)
                + masked_bce(self.discriminator(x, fake.detach() * m), False, m)
            )
            loss.backward()
            self.opt_d.step()
            loss_d = loss.item()
        self.opt_g.zero_grad(set_to_none=True)
        l1 = masked_l1(fake, y, m)
        loss_g = self.cfg.lambda_l1 * l1 + masked_bce(self.discriminator(x, fake * m), True, m) if self.gan else l1
        loss_g.backward()
        self.opt_g.step()
        return {"loss_g": loss_g.item(), "loss_d": loss_d, "l1": l1.item()}

    def epoch(self, train: Samples, rng: np.random.Generator, steps: int, samples: np.ndarray) -> dict[str, float]:
        """``steps`` updates on random crops of ``samples`` (indices of ``train``); the mean losses."""
        sums = {"loss_g": 0.0, "loss_d": 0.0, "l1": 0.0}
        for _ in range(steps):
            x, y, m = draw_crops(train, rng, self.cfg.batch_size, self.cfg.crop_size, samples)
            x = self.norm(x)
            if self.cfg.train_augmentation:
                x, y, m = augment_batch(x, y, m, rng)
            for key, value in self.step(x, y, m).items():
                sums[key] += value
        return {k: v / steps for k, v in sums.items()}

    def validate(self, data: Samples) -> float:
        """MSE (NDVI²) over the farm pixels of whole validation images."""
        return validation_mse(self.generator, data, self.norm, self.device)

    def weights(self) -> tuple[dict, dict | None]:
        """A copy of the current weights (generator, discriminator)."""
        return (
            copy.deepcopy(self.generator.state_dict()),
            copy.deepcopy(self.discriminator.state_dict()) if self.gan else None,
        )

    def restore(self, weights: tuple[dict, dict | None]) -> None:
        self.generator.load_state_dict(weights[0])
        if self.gan:
            self.discriminator.load_state_dict(weights[1])

    def fit(
        self,
        train: Samples,
        validation: Samples | None = None,
        report: Callable[[dict], None] | None = None,
        rng: np.random.Generator | None = None,
        channel_names: Sequence[str] = (),
    ) -> Checkpoint:
        """Train for ``cfg.epochs`` epochs, validating after each; stop early if ``cfg.early_stopping_patience``.

        With early stopping the best epoch's weights are restored. ``report`` is called with each
        epoch's record instead of logging it: ``epoch``, ``loss_g``, ``loss_d``, ``l1`` (means over the
        epoch's steps), ``steps``, ``val_mse`` (if validation is given) and ``seconds``.
        """
        cfg = self.cfg
        rng = rng if rng is not None else np.random.default_rng(cfg.seed)
        samples = _sampleable(train["mask"])
        steps = steps_per_epoch(cfg, train["x"].shape)
        history: list[dict] = []
        stopping = EarlyStopping(cfg.early_stopping_patience)
        for epoch in range(1, cfg.epochs + 1):
            started = time.perf_counter()
            record: dict = {"epoch": epoch, **self.epoch(train, rng, steps, samples), "steps": steps}
            if validation is not None and len(validation["x"]):
                record["val_mse"] = self.validate(validation)
            record["seconds"] = time.perf_counter() - started
            history.append(record)
            (report or _log_epoch)(record)
            if stopping.update(epoch, record.get("val_mse", math.nan), self.weights):
                log.info(
                    "early stopping after epoch %d (best: epoch %d, MSE %.5f)",
                    epoch,
                    stopping.best_epoch,
                    stopping.best_score,
                )
                break
        best_epoch = len(history)
        if cfg.early_stopping_patience and stopping.best_state is not None:
            self.restore(stopping.best_state)
            best_epoch = stopping.best_epoch
        return Checkpoint(
            settings=asdict(cfg),
            channel_names=channel_names_of(len(self.normalisation.mean), channel_names or None),
            normalisation=self.normalisation,
            generator=cpu_state(self.generator),
            discriminator=cpu_state(self.discriminator) if self.gan else None,
            history=tuple(history),
            best_epoch=best_epoch,
        )


def _log_epoch(record: dict) -> None:
    log.info(
        "epoch %d: G %.4f, D %.4f, L1 %.4f, validation MSE %.5f (%.1f s)",
        record["epoch"],
        record["loss_g"],
        record["loss_d"],
        record["l1"],
        record.get("val_mse", math.nan),
        record["seconds"],
    )


def train_model(
    cfg: TrainConfig,
    train: Samples,
    validation: Samples | None = None,
    init: Checkpoint | None = None,
    report: Callable[[dict], None] | None = None,
    channel_names: Sequence[str] | None = None,
) -> Checkpoint:
    """Train a generator (and, for pix2pix, a discriminator), deterministically for a seed on the CPU.

    Args:
        cfg: hyper-parameters.
        train: training samples (see module doc).
        validation: validation samples for the per-epoch MSE and early stopping.
        init: a checkpoint to start from (fine-tuning); its normalisation, weights and channel names are kept.
        report: called with each epoch's record instead of logging it (:meth:`Trainer.fit`).
        channel_names: names of the C input channels (default: the init checkpoint's, else
            :func:`~sar2ndvi.model.checkpoint.channel_names_of`).

    Raises:
        ValueError: if ``init`` has another family, size or channel count, or the names another length.
    """
    channels = train["x"].shape[1]
    if init is not None:
        mismatch = {k: (init.settings.get(k), getattr(cfg, k)) for k in ("family", "depth", "base_filters")}
        mismatch = {k: v for k, v in mismatch.items() if v[0] is not None and v[0] != v[1]}
        if mismatch or init.channels != channels:
            raise ValueError(f"the initial model does not match: {mismatch or 'channel count'}")
    names = channel_names_of(channels, channel_names or (init.channel_names if init else None))
    with deterministic_torch(cfg.threads), torch.random.fork_rng(devices=[]):
        torch.manual_seed(cfg.seed)
        rng = np.random.default_rng(cfg.seed)
        normalisation = init.normalisation if init else Normalisation.fit(train["x"])
        trainer = Trainer(cfg, channels, normalisation, init)
        return trainer.fit(train, validation, report, rng, names)


@contextmanager
def deterministic_torch(threads: int) -> Iterator[None]:
    """Within: ``threads`` CPU threads, deterministic algorithms and oneDNN kernels; restored after."""
    saved = (
        torch.get_num_threads(),
        torch.are_deterministic_algorithms_enabled(),
        torch.is_deterministic_algorithms_warn_only_enabled(),
        torch.backends.mkldnn.deterministic,
    )
    torch.set_num_threads(threads)
    torch.use_deterministic_algorithms(True, warn_only=True)
    # oneDNN has its own switch: without it, some CPUs get convolution kernels that reduce across
    # threads in the order the threads finish, so two runs of one seed differ in the last bits
    torch.backends.mkldnn.deterministic = True
    try:
        yield
    finally:
        previous_threads, deterministic, warn_only, onednn = saved
        torch.backends.mkldnn.deterministic = onednn
        torch.set_num_threads(previous_threads)
        torch.use_deterministic_algorithms(deterministic, warn_only=warn_only)
