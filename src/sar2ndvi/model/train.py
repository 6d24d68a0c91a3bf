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

On the CPU a seed makes training deterministic (numpy ``Generator`` for crops and augmentation,
``torch.manual_seed`` for weights and dropout in a forked RNG state, deterministic algorithms).
"""

from __future__ import annotations

import copy
import hashlib
import io
import logging
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from sar2ndvi.indexes import CHANNEL_NAMES, PLAIN_CHANNEL_NAMES
from sar2ndvi.io import atomic_path
from sar2ndvi.model.augment import augment_batch
from sar2ndvi.model.networks import FAMILIES, PatchDiscriminator, build_generator

log = logging.getLogger(__name__)

BUNDLE_FORMAT = 2
MIN_MASK_FRACTION = 0.05
CROP_ATTEMPTS = 10


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


def fit_normalisation(x: np.ndarray, mask: np.ndarray | None = None) -> dict[str, list[float]]:
    """Per-channel mean and standard deviation of the finite values of ``x`` (N, C, H, W).

    Args:
        x: raw channels.
        mask: (N, 1, H, W); if given, only pixels where it is non-zero count.

    Returns:
        ``{"mean": [...], "std": [...]}`` in the channels' units; std 1 for constant/empty channels.
    """
    means, stds = [], []
    for c in range(x.shape[1]):
        values = x[:, c]
        if mask is not None:
            values = values[np.asarray(mask)[:, 0] > 0]
        values = values[np.isfinite(values)].astype(np.float64)
        mean = float(values.mean()) if values.size else 0.0
        std = float(values.std()) if values.size else 0.0
        means.append(mean)
        stds.append(std if std > 0 else 1.0)
    return {"mean": means, "std": stds}


def normaliser(norm: dict[str, list[float]]) -> Callable[[torch.Tensor], torch.Tensor]:
    """Function standardising raw channels (N, C, H, W) on the CPU; NaN becomes 0, the channel mean."""
    mean = torch.tensor(norm["mean"], dtype=torch.float32).view(1, -1, 1, 1)
    std = torch.tensor(norm["std"], dtype=torch.float32).view(1, -1, 1, 1)

    def apply(x: torch.Tensor) -> torch.Tensor:
        return torch.nan_to_num((x.float() - mean) / std, nan=0.0, posinf=0.0, neginf=0.0)

    return apply


def resolve_device(name: str) -> torch.device:
    """``auto`` → CUDA if available, else CPU; anything else as given."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(name)


def default_channel_names(channels: int) -> list[str]:
    """The names :mod:`sar2ndvi.indexes` gives 10 or 2 channels; generic names otherwise."""
    if channels == len(CHANNEL_NAMES):
        return list(CHANNEL_NAMES)
    if channels == len(PLAIN_CHANNEL_NAMES):
        return list(PLAIN_CHANNEL_NAMES)
    return [f"channel {i}" for i in range(channels)]


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


def _steps(cfg: TrainConfig, shape: tuple[int, ...]) -> int:
    if cfg.steps_per_epoch:
        return cfg.steps_per_epoch
    n, _, rows, cols = shape
    crops = n * math.ceil(rows / cfg.crop_size) * math.ceil(cols / cfg.crop_size)
    return max(1, math.ceil(crops / cfg.batch_size))


def train_model(
    cfg: TrainConfig,
    train: dict[str, np.ndarray],
    validation: dict[str, np.ndarray] | None = None,
    init: dict | None = None,
    report: Callable[[dict], None] | None = None,
    channel_names: Sequence[str] | None = None,
) -> dict:
    """Train a generator (and, for pix2pix, a discriminator); return a model bundle.

    Args:
        cfg: hyper-parameters.
        train: training samples (see module doc).
        validation: validation samples for the per-epoch MSE and early stopping.
        init: a bundle to start from (fine-tuning); its normalisation and weights are kept.
        report: called with each epoch's record instead of logging it: ``epoch``, ``loss_g``, ``loss_d``, ``l1`` (means
            over the epoch's steps), ``val_mse`` (if validation is given) and ``seconds``.
        channel_names: names of the C input channels, stored in the bundle (default: see
            :func:`default_channel_names`, or the init bundle's).

    Returns:
        bundle dict: ``config``, ``channels`` (C), ``channel_names``, ``normalisation``,
        ``generator`` and ``discriminator`` state dicts (CPU tensors; discriminator None for the
        SEN12TP U-Net), ``history`` (the epoch records), ``best_epoch`` and ``digest``.
    """
    channels = train["x"].shape[1]
    if init is not None:
        init_cfg = init["config"]
        mismatch = {k: (init_cfg.get(k), getattr(cfg, k)) for k in ("family", "depth", "base_filters")}
        mismatch = {k: v for k, v in mismatch.items() if v[0] is not None and v[0] != v[1]}
        if mismatch or init["channels"] != channels:
            raise ValueError(f"the initial model does not match: {mismatch or 'channel count'}")
    names = list(channel_names or (init or {}).get("channel_names") or default_channel_names(channels))
    if len(names) != channels:
        raise ValueError(f"{len(names)} channel names for {channels} channels")
    previous_threads = torch.get_num_threads()
    previous_deterministic = torch.are_deterministic_algorithms_enabled()
    previous_warn_only = torch.is_deterministic_algorithms_warn_only_enabled()
    previous_onednn_deterministic = torch.backends.mkldnn.deterministic
    torch.set_num_threads(cfg.threads)
    torch.use_deterministic_algorithms(True, warn_only=True)
    # oneDNN has its own switch: without it, some CPUs get convolution kernels that reduce across
    # threads in the order the threads finish, so two runs of one seed differ in the last bits
    torch.backends.mkldnn.deterministic = True
    try:
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(cfg.seed)
            bundle = _train(cfg, train, validation, init, report)
    finally:
        torch.backends.mkldnn.deterministic = previous_onednn_deterministic
        torch.set_num_threads(previous_threads)
        torch.use_deterministic_algorithms(previous_deterministic, warn_only=previous_warn_only)
    bundle["channel_names"] = names
    return bundle


def _train(
    cfg: TrainConfig,
    train: dict[str, np.ndarray],
    validation: dict[str, np.ndarray] | None,
    init: dict | None,
    report: Callable[[dict], None] | None,
) -> dict:
    rng = np.random.default_rng(cfg.seed)
    device = resolve_device(cfg.device)
    channels = train["x"].shape[1]
    norm_stats = init["normalisation"] if init else fit_normalisation(train["x"])
    norm = normaliser(norm_stats)
    gan = cfg.family == "pix2pix"
    generator = build_generator(cfg.family, channels, cfg.depth, cfg.base_filters, cfg.norm)
    discriminator = PatchDiscriminator(channels, cfg.base_filters, cfg.discriminator_layers) if gan else None
    if gan:
        init_weights(generator)
        init_weights(discriminator)
    if init:
        generator.load_state_dict(init["generator"])
        if gan and init.get("discriminator"):
            discriminator.load_state_dict(init["discriminator"])
    generator.to(device).train()
    opt_g = torch.optim.Adam(generator.parameters(), lr=cfg.learning_rate, betas=cfg.betas)
    if gan:
        discriminator.to(device).train()
        opt_d = torch.optim.Adam(discriminator.parameters(), lr=cfg.learning_rate, betas=cfg.betas)
    samples = _sampleable(train["mask"])
    steps = _steps(cfg, train["x"].shape)
    history: list[dict] = []
    best = (math.inf, 0, None, None)  # score, epoch, generator state, discriminator state
    since_best = 0
    for epoch in range(1, cfg.epochs + 1):
        started = time.perf_counter()
        sums = {"loss_g": 0.0, "loss_d": 0.0, "l1": 0.0}
        for _ in range(steps):
            x, y, m = draw_crops(train, rng, cfg.batch_size, cfg.crop_size, samples)
            x = norm(x)
            if cfg.train_augmentation:
                x, y, m = augment_batch(x, y, m, rng)
            x, y, m = x.to(device), y.to(device), m.to(device)
            fake = generator(x)
            if gan:
                opt_d.zero_grad(set_to_none=True)
                loss_d = 0.5 * (
                    masked_bce(discriminator(x, y * m), True, m)
                    + masked_bce(discriminator(x, fake.detach() * m), False, m)
                )
                loss_d.backward()
                opt_d.step()
                sums["loss_d"] += loss_d.item()
            opt_g.zero_grad(set_to_none=True)
            l1 = masked_l1(fake, y, m)
            loss_g = cfg.lambda_l1 * l1 + masked_bce(discriminator(x, fake * m), True, m) if gan else l1
            loss_g.backward()
            opt_g.step()
            sums["loss_g"] += loss_g.item()
            sums["l1"] += l1.item()
        record: dict = {"epoch": epoch, **{k: v / steps for k, v in sums.items()}, "steps": steps}
        if validation is not None and len(validation["x"]):
            record["val_mse"] = validation_mse(generator, validation, norm, device)
        record["seconds"] = time.perf_counter() - started
        history.append(record)
        if report:
            report(record)
        else:
            log.info(
                "epoch %d: G %.4f, D %.4f, L1 %.4f, validation MSE %.5f (%.1f s)",
                epoch,
                record["loss_g"],
                record["loss_d"],
                record["l1"],
                record.get("val_mse", math.nan),
                record["seconds"],
            )
        score = record.get("val_mse", math.nan)
        if not math.isfinite(score):
            score = -epoch  # without validation the latest epoch is the best
        if score < best[0]:
            best = (
                score,
                epoch,
                copy.deepcopy(generator.state_dict()),
                copy.deepcopy(discriminator.state_dict()) if gan else None,
            )
            since_best = 0
        else:
            since_best += 1
            if cfg.early_stopping_patience and since_best >= cfg.early_stopping_patience:
                log.info("early stopping after epoch %d (best: epoch %d, MSE %.5f)", epoch, best[1], best[0])
                break
    best_epoch = len(history)
    if cfg.early_stopping_patience and best[2] is not None:
        generator.load_state_dict(best[2])
        if gan:
            discriminator.load_state_dict(best[3])
        best_epoch = best[1]
    bundle = {
        "format": BUNDLE_FORMAT,
        "config": asdict(cfg),
        "channels": channels,
        "normalisation": norm_stats,
        "generator": {k: v.detach().cpu().clone() for k, v in generator.state_dict().items()},
        "discriminator": {k: v.detach().cpu().clone() for k, v in discriminator.state_dict().items()} if gan else None,
        "history": history,
        "best_epoch": best_epoch,
    }
    bundle["digest"] = state_digest(bundle["generator"])
    return bundle


def state_digest(state: dict[str, torch.Tensor]) -> str:
    """SHA-256 (first 16 hex digits) of a state dict's names and tensor bytes, to name a model."""
    digest = hashlib.sha256()
    for key in sorted(state):
        digest.update(key.encode())
        digest.update(state[key].detach().cpu().contiguous().numpy().tobytes())
    return digest.hexdigest()[:16]


def save_bundle(bundle: dict, path: str | Path) -> None:
    """Write a model bundle with ``torch.save`` atomically (temporary file, then ``os.replace``)."""
    buffer = io.BytesIO()
    torch.save(bundle, buffer)
    with atomic_path(path, suffix=".pt") as tmp:
        tmp.write_bytes(buffer.getvalue())
