"""Training and inference throughput of the NDVI models, on the CPU or a GPU.

- training: samples (crops) per second of the real training step (random farm crops, augmentation,
  discriminator and generator updates), measured over the second of two epochs;
- inference: km² per second of whole-area prediction at 10 m (one pixel = 100 m²) of the
  acquisitions of one area, as the workflow's prediction job makes it, without and with test-time
  augmentation;
- peak memory: the process's high-water mark (CPU) or torch's peak allocation (CUDA).

Synthetic inputs of the real shapes (ten SAR channels) are used: throughput does not depend on the
values. Usage: ``python3 benchmarks/model_throughput.py [--device cpu|cuda] [--threads N] [--json OUT]``
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np
import torch
import yaml

from sar2ndvi.model import Checkpoint, TrainConfig, predict, train_model

REPO = Path(__file__).resolve().parents[1]


def synthetic(samples: int, size: int, channels: int = 10, seed: int = 0) -> dict[str, np.ndarray]:
    """Dataset arrays of the real layout: x (n, C, size, size), y and mask (n, 1, size, size)."""
    rng = np.random.default_rng(seed)
    x = rng.normal(-12.0, 3.0, (samples, channels, size, size)).astype(np.float32)
    y = rng.uniform(0.0, 0.9, (samples, 1, size, size)).astype(np.float32)
    return {"x": x, "y": y, "mask": np.ones_like(y, np.uint8)}


def peak_memory_mb(device: str) -> float:
    if device.startswith("cuda"):
        return torch.cuda.max_memory_allocated() / 2**20
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def training_throughput(model: dict, family: str, device: str, steps: int, images: int = 16, size: int = 96) -> float:
    """Training samples per second over the second epoch of ``steps`` steps."""
    data = synthetic(images, size)
    validation = synthetic(1, model["crop_size"], seed=1)
    cfg = TrainConfig.from_config({**model, "family": family, "device": device}, epochs=2, early_stopping=False)
    cfg.steps_per_epoch = steps
    trained = train_model(cfg, data, validation, report=lambda record: None)
    return steps * cfg.batch_size / trained.history[-1]["seconds"]


def inference_throughput(
    model: dict, device: str, side: int, tta: bool, images: int = 8, threads: int = 2
) -> tuple[float, Checkpoint]:
    """km² per second of predicting ``images`` acquisitions of a ``side`` × ``side`` area at 10 m (after a warm-up)."""
    cfg = TrainConfig.from_config({**model, "device": device}, epochs=1, early_stopping=False)
    cfg.steps_per_epoch = 1
    trained = train_model(cfg, synthetic(2, 64), synthetic(1, 64, seed=1), report=lambda record: None)
    area = synthetic(images, side)["x"]
    predict(trained, area[:, :, :64, :64], tta=tta, device=device, threads=threads)
    if device.startswith("cuda"):
        torch.cuda.synchronize()
    started = time.perf_counter()
    predict(trained, area, tta=tta, device=device, threads=threads)
    if device.startswith("cuda"):
        torch.cuda.synchronize()
    return images * side * side * 100 / 1e6 / (time.perf_counter() - started), trained


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--steps", type=int, default=20, help="training steps per timed epoch")
    parser.add_argument("--side", type=int, default=500, help="inference area side, pixels of 10 m")
    parser.add_argument("--images", type=int, default=8, help="acquisitions of the area predicted together")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    model = {**yaml.safe_load((REPO / "config" / "config.yaml").read_text())["model"], "threads": args.threads}

    rows = []
    for family in ("pix2pix", "sen12tp_unet"):
        rows.append((f"training, {family}", training_throughput(model, family, args.device, args.steps), "samples/s"))
    for tta in (False, True):
        rate, _ = inference_throughput(model, args.device, args.side, tta, args.images, args.threads)
        rows.append((f"inference, pix2pix, {'with' if tta else 'without'} TTA", rate, "km²/s"))
    device_name = torch.cuda.get_device_name() if args.device.startswith("cuda") else platform.processor() or "CPU"
    print(f"device {args.device} ({device_name}), torch {torch.__version__}, {args.threads} threads, "
          f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}")  # fmt: skip
    print(f"model: depth {model['depth']}, {model['base_filters']} base filters, crops {model['crop_size']} px, "
          f"batch {model['batch_size']}; inference on {args.images} acquisitions of {args.side} px a side")  # fmt: skip
    for name, value, unit in rows:
        print(f"  {name:<40} {value:10.2f} {unit}")
    print(f"  {'peak memory':<40} {peak_memory_mb(args.device):10.0f} MB")
    if args.json:
        args.json.write_text(json.dumps({name: value for name, value, _ in rows}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
