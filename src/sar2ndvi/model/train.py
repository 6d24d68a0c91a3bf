"""Training: pix2pix (cGAN + λ·L1) or the SEN12TP U-Net (L1), losses masked to farm pixels.

A dataset is a dict of numpy arrays: ``x`` (N, C, H, W) raw SAR channels (NaN = no data), ``y``
(N, 1, H, W) NDVI (NaN = no target), ``mask`` (N, 1, H, W), 1 on farm pixels with a valid target.
Each step draws random crops; an epoch is ceil(N / batch_size) steps. Validation MSE over the masked
pixels of the whole validation images is computed after every epoch; early stopping keeps the best
weights. On the CPU, a seed makes training deterministic.
"""

from __future__ import annotations

import copy
import hashlib
import io
import logging
import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from sar2ndvi.io import atomic_path
from sar2ndvi.model.augment import augment_batch
from sar2ndvi.model.networks import PatchDiscriminator, build_generator

log = logging.getLogger(__name__)


@dataclass
class TrainConfig:
    """Hyper-parameters. Defaults suit areas of 60–100 px and 2 CPU cores."""

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
    train_augmentation: bool = True
    early_stopping_patience: int | None = None
    seed: int = 42
    device: str = "auto"
    threads: int = 2
    extra: dict = field(default_factory=dict)

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
            train_augmentation=model["train_augmentation"],
            early_stopping_patience=model["early_stopping_patience"] if early_stopping else None,
            seed=model["seed"],
            device=model.get("device", "auto"),
            threads=model["threads"],
        )


def fit_normalisation(x: np.ndarray, mask: np.ndarray | None = None) -> dict[str, list[float]]:
    """Per-channel mean and standard deviation of finite values (on masked pixels if a mask is given)."""
    means, stds = [], []
    for c in range(x.shape[1]):
        values = x[:, c]
        if mask is not None:
            values = values[mask[:, 0] > 0]
        values = values[np.isfinite(values)]
        means.append(float(values.mean()) if values.size else 0.0)
        stds.append(float(values.std()) if values.size and values.std() > 0 else 1.0)
    return {"mean": means, "std": stds}


def normaliser(norm: dict[str, list[float]]) -> Callable[[torch.Tensor], torch.Tensor]:
    """Function standardising raw channels (N, C, H, W); NaN becomes 0, the channel mean."""
    mean = torch.tensor(norm["mean"], dtype=torch.float32).view(1, -1, 1, 1)
    std = torch.tensor(norm["std"], dtype=torch.float32).view(1, -1, 1, 1)

    def apply(x: torch.Tensor) -> torch.Tensor:
        return torch.nan_to_num((x - mean) / std, nan=0.0)

    return apply


def resolve_device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(name)


def _crops(data: dict, rng: np.random.Generator, batch: int, size: int) -> tuple[torch.Tensor, ...]:
    n, _, rows, cols = data["x"].shape
    xs, ys, ms = [], [], []
    for _ in range(batch):
        for _attempt in range(5):
            i = int(rng.integers(n))
            r = int(rng.integers(max(rows - size, 0) + 1))
            c = int(rng.integers(max(cols - size, 0) + 1))
            m = data["mask"][i, :, r : r + size, c : c + size]
            if m.mean() >= 0.05:
                break
        x = data["x"][i, :, r : r + size, c : c + size]
        y = data["y"][i, :, r : r + size, c : c + size]
        pad = ((0, 0), (0, size - x.shape[1]), (0, size - x.shape[2]))
        xs.append(np.pad(x, pad, constant_values=np.nan))
        ys.append(np.pad(np.nan_to_num(y), pad))
        ms.append(np.pad(m, pad))
    return (
        torch.from_numpy(np.stack(xs)).float(),
        torch.from_numpy(np.stack(ys)).float(),
        torch.from_numpy(np.stack(ms)).float(),
    )


def masked_l1(pred: torch.Tensor, target: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean absolute error over pixels where ``mask`` is 1."""
    return (torch.abs(pred - target) * mask).sum() / mask.sum().clamp(min=1.0)


def _patch_weights(mask: torch.Tensor, logits: torch.Tensor) -> torch.Tensor:
    weights = F.adaptive_avg_pool2d(mask, logits.shape[-2:])
    return weights / weights.sum().clamp(min=1e-6)


def validation_mse(generator: nn.Module, data: dict, norm, device: torch.device) -> float:
    """MSE over the masked pixels of whole validation images (no augmentation)."""
    generator.eval()
    total, count = 0.0, 0.0
    with torch.no_grad():
        for i in range(0, len(data["x"]), 8):
            x = norm(torch.from_numpy(data["x"][i : i + 8]).float()).to(device)
            y = torch.from_numpy(np.nan_to_num(data["y"][i : i + 8])).float().to(device)
            m = torch.from_numpy(data["mask"][i : i + 8]).float().to(device)
            pred = generator(x)
            total += float(((pred - y) ** 2 * m).sum())
            count += float(m.sum())
    generator.train()
    return total / count if count else float("nan")


def train_model(
    cfg: TrainConfig,
    train: dict[str, np.ndarray],
    validation: dict[str, np.ndarray] | None = None,
    init: dict | None = None,
    report: Callable[[dict], None] | None = None,
) -> dict:
    """Train a generator (and, for pix2pix, a discriminator); return a model bundle.

    Args:
        cfg: hyper-parameters.
        train: training samples (see module doc).
        validation: validation samples for the per-epoch MSE and early stopping.
        init: a bundle to start from (fine-tuning); its normalisation is kept.
        report: called with each epoch's record.

    Returns:
        bundle dict: config, channels, normalisation, generator (and discriminator) state, history.
    """
    torch.manual_seed(cfg.seed)
    torch.set_num_threads(cfg.threads)
    torch.use_deterministic_algorithms(True, warn_only=True)
    rng = np.random.default_rng(cfg.seed)
    device = resolve_device(cfg.device)
    channels = train["x"].shape[1]
    norm_stats = init["normalisation"] if init else fit_normalisation(train["x"], train["mask"])
    norm = normaliser(norm_stats)
    generator = build_generator(cfg.family, channels, cfg.depth, cfg.base_filters).to(device)
    gan = cfg.family == "pix2pix"
    discriminator = PatchDiscriminator(channels, cfg.base_filters, cfg.discriminator_layers).to(device) if gan else None
    if init:
        generator.load_state_dict(init["generator"])
        if gan and init.get("discriminator"):
            discriminator.load_state_dict(init["discriminator"])
    opt_g = torch.optim.Adam(generator.parameters(), lr=cfg.learning_rate, betas=cfg.betas)
    opt_d = torch.optim.Adam(discriminator.parameters(), lr=cfg.learning_rate, betas=cfg.betas) if gan else None
    bce = nn.BCEWithLogitsLoss(reduction="none")
    steps = max(1, math.ceil(len(train["x"]) / cfg.batch_size))
    history: list[dict] = []
    best_mse, best_state, since_best = math.inf, None, 0
    for epoch in range(1, cfg.epochs + 1):
        started = time.perf_counter()
        sums = {"loss_g": 0.0, "loss_d": 0.0, "l1": 0.0}
        for _ in range(steps):
            x, y, m = _crops(train, rng, cfg.batch_size, cfg.crop_size)
            if cfg.train_augmentation:
                x, y, m = augment_batch(x, y, m, rng)
            x, y, m = norm(x).to(device), y.to(device), m.to(device)
            fake = generator(x)
            if gan:
                opt_d.zero_grad()
                real_logits = discriminator(x, y)
                fake_logits = discriminator(x, fake.detach())
                w = _patch_weights(m, real_logits)
                loss_d = 0.5 * (
                    (bce(real_logits, torch.ones_like(real_logits)) * w).sum()
                    + (bce(fake_logits, torch.zeros_like(fake_logits)) * w).sum()
                )
                loss_d.backward()
                opt_d.step()
                sums["loss_d"] += loss_d.item()
            opt_g.zero_grad()
            l1 = masked_l1(fake, y, m)
            loss_g = cfg.lambda_l1 * l1 if gan else l1
            if gan:
                logits = discriminator(x, fake)
                loss_g = loss_g + (bce(logits, torch.ones_like(logits)) * _patch_weights(m, logits)).sum()
            loss_g.backward()
            opt_g.step()
            sums["loss_g"] += loss_g.item()
            sums["l1"] += l1.item()
        record = {"epoch": epoch, **{k: v / steps for k, v in sums.items()}}
        if validation is not None and len(validation["x"]):
            record["val_mse"] = validation_mse(generator, validation, norm, device)
        record["seconds"] = time.perf_counter() - started
        history.append(record)
        if report:
            report(record)
        score = record.get("val_mse", -epoch)
        if score < best_mse:
            best_mse, since_best = score, 0
            best_state = copy.deepcopy(generator.state_dict())
        else:
            since_best += 1
            if cfg.early_stopping_patience and since_best >= cfg.early_stopping_patience:
                log.info("early stopping after epoch %d (best validation MSE %.5f)", epoch, best_mse)
                break
    if cfg.early_stopping_patience and best_state is not None:
        generator.load_state_dict(best_state)
    bundle = {
        "config": {k: v for k, v in asdict(cfg).items() if k != "extra"},
        "channels": channels,
        "normalisation": norm_stats,
        "generator": {k: v.cpu() for k, v in generator.state_dict().items()},
        "discriminator": {k: v.cpu() for k, v in discriminator.state_dict().items()} if gan else None,
        "history": history,
    }
    bundle["digest"] = state_digest(bundle["generator"])
    return bundle


def state_digest(state: dict[str, torch.Tensor]) -> str:
    """SHA-256 (first 16 hex digits) of a state dict's tensors, to name a model in outputs."""
    digest = hashlib.sha256()
    for key in sorted(state):
        digest.update(key.encode())
        digest.update(state[key].detach().cpu().numpy().tobytes())
    return digest.hexdigest()[:16]


def save_bundle(bundle: dict, path: str | Path) -> None:
    """Write a model bundle with torch.save, atomically."""
    buffer = io.BytesIO()
    torch.save(bundle, buffer)
    with atomic_path(path, suffix=".pt") as tmp:
        tmp.write_bytes(buffer.getvalue())
