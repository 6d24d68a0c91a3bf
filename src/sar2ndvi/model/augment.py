"""Training augmentation (rotation, scaling, flips) and test-time augmentation (flips, value multiplying).

Training augmentation transforms input, target and mask together, so they stay aligned. Test-time
augmentation predicts every variant and maps each prediction back before averaging.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
from torch.nn import functional as F

# Value multiplying at test time scales the raw SAR channels (dB values and indexes) by these factors:
# a ±2 % change in dB level, i.e. a small calibration offset the model should be robust to.
TTA_VALUE_FACTORS = (1.0, 0.98, 1.02)
TTA_FLIPS = ((), (-1,), (-2,), (-2, -1))


def augment_batch(
    x: torch.Tensor, y: torch.Tensor, mask: torch.Tensor, rng: np.random.Generator, scale_range=(0.8, 1.2)
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Random 90° rotation, horizontal/vertical flip and zoom, identical for x, y and mask (N, C, H, W)."""
    k = int(rng.integers(4))
    dims = []
    if rng.random() < 0.5:
        dims.append(-1)
    if rng.random() < 0.5:
        dims.append(-2)
    tensors = [x, y, mask]
    tensors = [torch.rot90(t, k, dims=(-2, -1)) for t in tensors]
    if dims:
        tensors = [torch.flip(t, dims=dims) for t in tensors]
    scale = float(rng.uniform(*scale_range))
    if abs(scale - 1.0) > 1e-3:
        tensors = [_zoom(t, scale, nearest=i == 2) for i, t in enumerate(tensors)]
    return tensors[0], tensors[1], tensors[2]


def _zoom(t: torch.Tensor, scale: float, nearest: bool) -> torch.Tensor:
    rows, cols = t.shape[-2:]
    size = (max(1, round(rows * scale)), max(1, round(cols * scale)))
    # nearest-exact samples at pixel centres, as bilinear with align_corners=False does
    mode = "nearest-exact" if nearest else "bilinear"
    zoomed = F.interpolate(t, size=size, mode=mode, **({} if nearest else {"align_corners": False}))
    if scale >= 1.0:
        r0, c0 = (size[0] - rows) // 2, (size[1] - cols) // 2
        return zoomed[..., r0 : r0 + rows, c0 : c0 + cols]
    out = torch.zeros_like(t)
    r0, c0 = (rows - size[0]) // 2, (cols - size[1]) // 2
    out[..., r0 : r0 + size[0], c0 : c0 + size[1]] = zoomed
    return out


def predict_with_tta(
    model: Callable[[torch.Tensor], torch.Tensor],
    raw: torch.Tensor,
    normalise: Callable[[torch.Tensor], torch.Tensor],
) -> torch.Tensor:
    """Mean prediction over flips × value factors, each flipped back; ``raw`` holds unnormalised channels."""
    total = torch.zeros((raw.shape[0], 1, *raw.shape[-2:]), dtype=torch.float32)
    count = 0
    for factor in TTA_VALUE_FACTORS:
        inputs = normalise(raw * factor)
        for dims in TTA_FLIPS:
            flipped = torch.flip(inputs, dims=dims) if dims else inputs
            out = model(flipped)
            total += torch.flip(out, dims=dims) if dims else out
            count += 1
    return total / count
