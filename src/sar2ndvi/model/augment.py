"""Training augmentation (rotation, flips, scaling) and test-time augmentation (flips, value multiplying).

Both work on *normalised* inputs (channels standardised, no-data = 0 = the training mean), so the
zero padding of a zoom-out is the neutral value.

Training augmentation (Kimura et al. §3.4, "rotation, scaling, and flipping") draws, per sample, a
random multiple of 90° rotation, horizontal and vertical flips and a zoom factor in [0.8, 1.2], and
applies the same geometry to input, target and mask: the input is resampled bilinearly; the mask by
nearest neighbour; the target bilinearly *over farm pixels only* (the mask-weighted average
bilinear(y·m) / bilinear(m)), so that values outside the farms never bleed into farm pixels. Zooming
in crops the centre; zooming out pads the border with zeros (mask 0, so those pixels carry no loss).

Test-time augmentation ("flipping, and value multiplying"): every combination of the flips in
:data:`TTA_FLIPS` and the factors in :data:`TTA_VALUE_FACTORS` is predicted, each prediction is
flipped back and the predictions are averaged (mean). The paper does not say what is multiplied;
here it is the normalised input, i.e. a ±5 % change of every channel's contrast around the training
mean, a simple stand-in for small calibration and speckle-level differences between acquisitions.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import torch
from torch.nn import functional as F

TTA_FLIPS: tuple[tuple[int, ...], ...] = ((), (-1,), (-2,), (-2, -1))
TTA_VALUE_FACTORS: tuple[float, ...] = (1.0, 0.95, 1.05)
SCALE_RANGE: tuple[float, float] = (0.8, 1.2)


def _zoom(t: torch.Tensor, scale: float, mode: str) -> torch.Tensor:
    """Zoom (C, H, W) about the centre by ``scale``, cropping or zero-padding back to (H, W)."""
    rows, cols = t.shape[-2:]
    size = (max(1, round(rows * scale)), max(1, round(cols * scale)))
    if size == (rows, cols):
        return t
    # nearest-exact samples at the same pixel centres as bilinear with align_corners=False
    kwargs = {"align_corners": False} if mode == "bilinear" else {}
    zoomed = F.interpolate(t[None], size=size, mode=mode, **kwargs)[0]
    if size[0] >= rows and size[1] >= cols:
        r0, c0 = (size[0] - rows) // 2, (size[1] - cols) // 2
        return zoomed[:, r0 : r0 + rows, c0 : c0 + cols]
    out = torch.zeros_like(t)
    r0, c0 = (rows - size[0]) // 2, (cols - size[1]) // 2
    out[:, r0 : r0 + size[0], c0 : c0 + size[1]] = zoomed
    return out


def augment_sample(
    x: torch.Tensor,
    y: torch.Tensor,
    mask: torch.Tensor,
    rng: np.random.Generator,
    scale_range: tuple[float, float] = SCALE_RANGE,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """One random geometric transform applied to x (C, H, W), y (1, H, W) and mask (1, H, W).

    ``x`` is normalised input, ``y`` NDVI (any finite value off the mask), ``mask`` 0/1 float.
    """
    k = int(rng.integers(4))
    flips = [d for d, draw in zip((-1, -2), rng.random(2), strict=True) if draw < 0.5]
    scale = float(rng.uniform(*scale_range)) if scale_range[0] != scale_range[1] else float(scale_range[0])
    tensors = []
    for t in (x, y, mask):
        t = torch.rot90(t, k, dims=(-2, -1)) if k else t
        tensors.append(torch.flip(t, dims=flips) if flips else t)
    x, y, mask = tensors
    if abs(scale - 1.0) > 1e-3:
        weight = _zoom(mask, scale, "bilinear")
        y = torch.where(weight > 0, _zoom(y * mask, scale, "bilinear") / weight.clamp(min=1e-6), 0.0)
        x = _zoom(x, scale, "bilinear")
        mask = _zoom(mask, scale, "nearest-exact")
        y = y * mask
    return x.contiguous(), y.contiguous(), mask.contiguous()


def augment_batch(
    x: torch.Tensor,
    y: torch.Tensor,
    mask: torch.Tensor,
    rng: np.random.Generator,
    scale_range: tuple[float, float] = SCALE_RANGE,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """:func:`augment_sample` with an independent draw per sample of (N, C, H, W) batches."""
    mask = mask.float()
    out = [augment_sample(x[i], y[i], mask[i], rng, scale_range) for i in range(x.shape[0])]
    return tuple(torch.stack(parts) for parts in zip(*out, strict=True))  # type: ignore[return-value]


def predict_with_tta(
    model: Callable[[torch.Tensor], torch.Tensor],
    inputs: torch.Tensor,
    flips: Sequence[tuple[int, ...]] = TTA_FLIPS,
    factors: Sequence[float] = TTA_VALUE_FACTORS,
) -> torch.Tensor:
    """Mean of ``model`` over flips × value factors of normalised ``inputs`` (N, C, H, W).

    Each prediction (N, 1, H, W) is flipped back before averaging, so a model that commutes with
    flips gives exactly its plain prediction (for factors averaging to 1 if it is linear).
    """
    total = None
    count = 0
    for factor in factors:
        scaled = inputs * factor if factor != 1.0 else inputs
        for dims in flips:
            out = model(torch.flip(scaled, dims=dims) if dims else scaled)
            out = torch.flip(out, dims=dims) if dims else out
            total = out.clone() if total is None else total + out
            count += 1
    if total is None:
        raise ValueError("test-time augmentation needs at least one flip and one factor")
    return total / count
