"""Whole-area inference with a trained model checkpoint, optionally with test-time augmentation."""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import torch

from sar2ndvi.model.augment import TTA_FLIPS, TTA_VALUE_FACTORS, predict_with_tta
from sar2ndvi.model.checkpoint import Checkpoint
from sar2ndvi.model.networks import resolve_device

#: pixels per forward pass that set the batch size (see :func:`batch_size`)
BATCH_PIXELS = 2**18
MAX_BATCH = 8


def batch_size(height: int, width: int) -> int:
    """Images per forward pass for images of ``height`` × ``width`` px: about :data:`BATCH_PIXELS` pixels.

    It depends on the image size only, never on how many images there are, so that an image's
    NDVI does not change when more acquisitions of its area arrive.
    """
    return max(1, min(MAX_BATCH, BATCH_PIXELS // max(1, height * width)))


def predict(
    checkpoint: Checkpoint,
    x: np.ndarray,
    tta: bool = True,
    device: str = "auto",
    threads: int = 1,
    flips: Sequence[tuple[int, ...]] = TTA_FLIPS,
    factors: Sequence[float] = TTA_VALUE_FACTORS,
) -> np.ndarray:
    """NDVI (N, H, W) float32 in [−1, 1] from raw channels ``x`` (N, C, H, W) of whole areas.

    Images go through the model in batches of :func:`batch_size` (the last one padded), and on the
    CPU each batch is computed by a single thread, ``threads`` batches at a time. An image's NDVI then
    depends neither on the thread count nor on the other images, so the same model and inputs give
    byte-identical output run after run, whatever CPUs the job is given (floating-point kernels
    still differ between CPU families, and between CPU and GPU).

    Args:
        checkpoint: a trained model (:meth:`Checkpoint.load` or :func:`sar2ndvi.model.train.train_model`).
        x: raw SAR channels in the checkpoint's channel order; NaN = no data (the prediction there is
            made from the normalised value 0 and should be masked by the caller).
        tta: average over flips × value factors (:func:`sar2ndvi.model.augment.predict_with_tta`).
        device: ``auto``, ``cpu``, ``cuda`` …
        threads: batches computed at once on the CPU.
        flips, factors: the test-time augmentations.
    """
    x = np.asarray(x)
    if x.ndim != 4 or x.shape[1] != checkpoint.channels:
        raise ValueError(f"expected (N, {checkpoint.channels}, H, W) channels, got {x.shape}")
    if not len(x):
        return np.zeros((0, *x.shape[-2:]), np.float32)
    dev = resolve_device(device)
    generator = checkpoint.build_generator().to(dev)
    norm = checkpoint.normalisation.transform()

    size = batch_size(*x.shape[-2:])

    def batch(start: int) -> np.ndarray:
        chunk = np.zeros((size, *x.shape[1:]), np.float32)
        count = min(size, len(x) - start)
        chunk[:count] = x[start : start + count]
        with torch.no_grad():  # grad mode is per thread
            inputs = norm(torch.from_numpy(chunk)).to(dev)
            pred = predict_with_tta(generator, inputs, flips, factors) if tta else generator(inputs)
            return pred[:count, 0].cpu().numpy()

    starts = range(0, len(x), size)
    if dev.type != "cpu":
        with torch.backends.cudnn.flags(enabled=True, benchmark=False, deterministic=True):
            return np.concatenate([batch(start) for start in starts]).astype(np.float32)
    previous_threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        with ThreadPoolExecutor(max(1, threads)) as pool:
            out = list(pool.map(batch, starts))
    finally:
        torch.set_num_threads(previous_threads)
    return np.concatenate(out).astype(np.float32)
