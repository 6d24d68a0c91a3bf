"""A trained model as one typed record: what training writes and prediction reads.

A :class:`Checkpoint` holds the training settings, the names of the input channels in the order
the network sees them, their normalisation, the generator's (and, for pix2pix, the
discriminator's) weights, the training history and a digest of the generator's weights that
names the model in the files it makes. On disk it is a ``torch.save`` of plain containers and
tensors, read back with ``weights_only=True`` (no pickled code runs when a model is loaded).
"""

from __future__ import annotations

import hashlib
import io
import pickle
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from sar2ndvi.io import atomic_path
from sar2ndvi.model.networks import build_generator

#: 2: an untyped dict; 3: the record below (2 is read too: the same keys)
CHECKPOINT_FORMAT = 3


@dataclass(frozen=True)
class Normalisation:
    """Per-channel mean and standard deviation of the raw inputs, in the channels' own units."""

    mean: tuple[float, ...]
    std: tuple[float, ...]

    @classmethod
    def fit(cls, x: np.ndarray, mask: np.ndarray | None = None) -> Normalisation:
        """From the finite values of ``x`` (N, C, H, W), only where ``mask`` (N, 1, H, W) is non-zero if given.

        A constant or empty channel gets standard deviation 1.
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
        return cls(tuple(means), tuple(stds))

    def transform(self) -> Callable[[torch.Tensor], torch.Tensor]:
        """Function standardising raw channels (N, C, H, W) on the CPU; NaN becomes 0, the channel mean."""
        mean = torch.tensor(self.mean, dtype=torch.float32).view(1, -1, 1, 1)
        std = torch.tensor(self.std, dtype=torch.float32).view(1, -1, 1, 1)

        def apply(x: torch.Tensor) -> torch.Tensor:
            return torch.nan_to_num((x.float() - mean) / std, nan=0.0, posinf=0.0, neginf=0.0)

        return apply


def state_digest(state: Mapping[str, torch.Tensor]) -> str:
    """SHA-256 (first 16 hex digits) of a state dict's names and tensor bytes, to name a model."""
    digest = hashlib.sha256()
    for key in sorted(state):
        digest.update(key.encode())
        digest.update(state[key].detach().cpu().contiguous().numpy().tobytes())
    return digest.hexdigest()[:16]


def cpu_state(module: nn.Module) -> dict[str, torch.Tensor]:
    """A detached CPU copy of a module's weights."""
    return {k: v.detach().cpu().clone() for k, v in module.state_dict().items()}


@dataclass(frozen=True)
class Checkpoint:
    """A trained generator and what it needs to predict, and to be fine-tuned further.

    Attributes:
        settings: the training settings (:class:`sar2ndvi.model.train.TrainConfig` as a dict).
        channel_names: the input channels, in the order the network takes them.
        normalisation: of the raw channels, fitted on the (pre-)training data.
        generator: the generator's weights (CPU tensors).
        discriminator: the PatchGAN's weights; None for the SEN12TP U-Net.
        history: one record per epoch (``epoch``, ``loss_g``, ``loss_d``, ``l1``, ``steps``,
            ``val_mse`` where validated, ``seconds``).
        best_epoch: the epoch whose weights these are.
        stage, variant: what the workflow trained (``pretrain``/``finetune``/``scratch``, the
            variant's name); empty outside it.
    """

    settings: dict[str, Any]
    channel_names: tuple[str, ...]
    normalisation: Normalisation
    generator: dict[str, torch.Tensor]
    discriminator: dict[str, torch.Tensor] | None
    history: tuple[dict[str, float], ...] = ()
    best_epoch: int = 0
    stage: str = ""
    variant: str = ""
    digest: str = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "digest", state_digest(self.generator))

    @property
    def channels(self) -> int:
        return len(self.channel_names)

    def build_generator(self) -> nn.Module:
        """The generator with these weights, in eval mode, on the CPU."""
        s = self.settings
        generator = build_generator(
            s["family"], self.channels, s["depth"], s["base_filters"], s.get("norm", "instance")
        )
        generator.load_state_dict(self.generator)
        return generator.eval()

    def with_(self, **changes: Any) -> Checkpoint:
        """A copy with some fields changed (the digest follows the generator)."""
        return replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": CHECKPOINT_FORMAT,
            "config": dict(self.settings),
            "channels": self.channels,
            "channel_names": list(self.channel_names),
            "normalisation": {"mean": list(self.normalisation.mean), "std": list(self.normalisation.std)},
            "generator": self.generator,
            "discriminator": self.discriminator,
            "history": [dict(record) for record in self.history],
            "best_epoch": self.best_epoch,
            "stage": self.stage,
            "variant": self.variant,
            "digest": self.digest,
        }

    @classmethod
    def from_dict(cls, record: Mapping[str, Any], path: str | Path = "<memory>") -> Checkpoint:
        """From :meth:`to_dict`'s mapping (also the untyped dicts of format 2).

        Raises:
            ValueError: naming ``path`` when the mapping is not a model checkpoint.
        """
        try:
            names = record.get("channel_names") or [f"channel {i}" for i in range(record["channels"])]
            return cls(
                settings=dict(record["config"]),
                channel_names=tuple(names),
                normalisation=Normalisation(
                    tuple(record["normalisation"]["mean"]), tuple(record["normalisation"]["std"])
                ),
                generator=dict(record["generator"]),
                discriminator=dict(record["discriminator"]) if record.get("discriminator") else None,
                history=tuple(dict(h) for h in record.get("history", ())),
                best_epoch=int(record.get("best_epoch", 0)),
                stage=str(record.get("stage") or ""),
                variant=str(record.get("variant") or ""),
            )
        except (AttributeError, KeyError, TypeError) as err:
            raise ValueError(
                f"{path}: not a sar2ndvi model checkpoint ({err!r}); train it again with the workflow"
            ) from None

    def save(self, path: str | Path) -> None:
        """Write it with ``torch.save``, atomically (temporary file, then ``os.replace``)."""
        buffer = io.BytesIO()
        torch.save(self.to_dict(), buffer)
        with atomic_path(path, suffix=".pt") as tmp:
            tmp.write_bytes(buffer.getvalue())

    @classmethod
    def load(cls, path: str | Path) -> Checkpoint:
        """Read a checkpoint written by :meth:`save`.

        Raises:
            ValueError: naming the file if it is not a model checkpoint.
        """
        try:
            record = torch.load(path, map_location="cpu", weights_only=True)
        except (RuntimeError, EOFError, OSError, ValueError, KeyError, pickle.UnpicklingError) as err:
            raise ValueError(f"{path}: not a readable sar2ndvi model checkpoint ({err}); train it again") from None
        if not isinstance(record, dict) or "generator" not in record:
            raise ValueError(f"{path}: not a sar2ndvi model checkpoint; train it again with the workflow")
        return cls.from_dict(record, path)


def channel_names_of(channels: int, names: Sequence[str] | None = None) -> tuple[str, ...]:
    """``names``, or the names :mod:`sar2ndvi.indexes` gives 10 or 2 channels, else generic ones.

    Raises:
        ValueError: if ``names`` has another length than ``channels``.
    """
    from sar2ndvi.indexes import CHANNEL_NAMES, PLAIN_CHANNEL_NAMES

    if names is None:
        if channels == len(CHANNEL_NAMES):
            names = CHANNEL_NAMES
        elif channels == len(PLAIN_CHANNEL_NAMES):
            names = PLAIN_CHANNEL_NAMES
        else:
            names = [f"channel {i}" for i in range(channels)]
    if len(names) != channels:
        raise ValueError(f"{len(names)} channel names for {channels} channels")
    return tuple(names)


__all__ = ["CHECKPOINT_FORMAT", "Checkpoint", "Normalisation", "channel_names_of", "cpu_state", "state_digest"]
