"""Generator and discriminator networks.

- :class:`UNetGenerator`: the pix2pix U-Net (Isola et al. 2017): 4×4 stride-2 convolutions with
  LeakyReLU(0.2) down, 4×4 stride-2 transposed convolutions with ReLU up, dropout 0.5 in the
  innermost decoder layers, skip connections, Tanh output = NDVI in [−1, 1]. As in the reference
  implementation the outermost encoder layer and the innermost one carry no normalisation. The
  default normalisation is ``instance`` (the reference's ``--norm instance``): batch statistics of a
  few small farm crops make poor running estimates for whole-area inference, per-image statistics
  do not depend on them. ``batch`` gives the original BatchNorm.
- :class:`PatchDiscriminator`: the pix2pix PatchGAN on (input channels ⊕ NDVI). The reference has
  ``n_layers=3`` and a 70-px receptive field, more than a 64-px training crop; the default
  ``n_layers=2`` sees 34 px, a field-sized patch in areas of 60–100 px.
- :class:`Sen12tpUNet`: Roßberg & Schmitt's U-Net: double 3×3 conv + BN + ReLU blocks, 2×2 max
  pooling, bilinear upsampling + convolution (no checkerboard artefacts), sigmoid output ŷ mapped to
  NDVI by 2(ŷ − 0.5). It is trained with L1 only.

Generators accept inputs of any size: they pad to a multiple of 2**depth (reflection where the image
is large enough, otherwise edge replication) and crop the output back.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

FAMILIES = ("pix2pix", "sen12tp_unet")


def resolve_device(name: str) -> torch.device:
    """``auto`` → CUDA if available, else CPU; anything else as given."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(name)


def pad_to_multiple(x: torch.Tensor, multiple: int) -> tuple[torch.Tensor, tuple[int, int]]:
    """Pad (N, C, H, W) at the bottom/right to multiples of ``multiple``; return it and (H, W)."""
    rows, cols = x.shape[-2:]
    pad_r, pad_c = (-rows) % multiple, (-cols) % multiple
    if pad_r or pad_c:
        # reflection needs the pad to be smaller than the image side
        mode = "reflect" if pad_r < rows and pad_c < cols else "replicate"
        x = F.pad(x, (0, pad_c, 0, pad_r), mode=mode)
    return x, (rows, cols)


def _norm_layer(kind: str, channels: int) -> nn.Module:
    if kind == "instance":
        return nn.InstanceNorm2d(channels, affine=True)
    if kind == "batch":
        return nn.BatchNorm2d(channels)
    raise ValueError(f"unknown normalisation {kind!r}; use 'instance' or 'batch'")


class UNetGenerator(nn.Module):
    """pix2pix U-Net generator: (N, C, H, W) normalised channels → (N, 1, H, W) NDVI in [−1, 1].

    Args:
        in_channels: input channels C.
        depth: number of stride-2 levels; the bottleneck is H / 2**depth.
        base_filters: filters of the first level, doubled per level up to 8× (as in pix2pix).
        dropout_layers: innermost decoder layers with dropout 0.5.
        norm: ``instance`` or ``batch``.
    """

    def __init__(
        self, in_channels: int, depth: int = 4, base_filters: int = 16, dropout_layers: int = 2, norm: str = "instance"
    ) -> None:
        super().__init__()
        if depth < 2:
            raise ValueError("the U-Net needs depth ≥ 2")
        self.depth = depth
        widths = [base_filters * min(2**i, 8) for i in range(depth)]
        self.down = nn.ModuleList()
        previous = in_channels
        for i, width in enumerate(widths):
            layers: list[nn.Module] = [nn.Conv2d(previous, width, 4, 2, 1, bias=i == 0)]
            if 0 < i < depth - 1:
                layers.append(_norm_layer(norm, width))
            layers.append(nn.LeakyReLU(0.2, inplace=True))
            self.down.append(nn.Sequential(*layers))
            previous = width
        self.up = nn.ModuleList()
        for i in reversed(range(depth - 1)):
            in_width = widths[i + 1] if i == depth - 2 else widths[i + 1] * 2
            layers = [nn.ConvTranspose2d(in_width, widths[i], 4, 2, 1, bias=False), _norm_layer(norm, widths[i])]
            if depth - 2 - i < dropout_layers:
                layers.append(nn.Dropout(0.5))
            layers.append(nn.ReLU(inplace=True))
            self.up.append(nn.Sequential(*layers))
        self.head = nn.Sequential(nn.ConvTranspose2d(widths[0] * 2, 1, 4, 2, 1), nn.Tanh())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x, (rows, cols) = pad_to_multiple(x, 2**self.depth)
        skips = []
        for layer in self.down:
            x = layer(x)
            skips.append(x)
        skips.pop()  # the bottleneck is the decoder's input, not a skip
        for layer in self.up:
            x = torch.cat([layer(x), skips.pop()], dim=1)
        return self.head(x)[..., :rows, :cols]


class PatchDiscriminator(nn.Module):
    """pix2pix PatchGAN: one real/fake logit per overlapping patch of (input channels ⊕ NDVI).

    Receptive field: 34 px for ``n_layers=2``, 70 px for 3. Output (N, 1, h, w), about H/2**n_layers.
    """

    def __init__(self, in_channels: int, base_filters: int = 16, n_layers: int = 2) -> None:
        super().__init__()
        layers: list[nn.Module] = [nn.Conv2d(in_channels + 1, base_filters, 4, 2, 1), nn.LeakyReLU(0.2, True)]
        width = base_filters
        for i in range(1, n_layers + 1):
            new = base_filters * min(2**i, 8)
            stride = 2 if i < n_layers else 1
            layers += [nn.Conv2d(width, new, 4, stride, 1, bias=False), nn.BatchNorm2d(new), nn.LeakyReLU(0.2, True)]
            width = new
        layers.append(nn.Conv2d(width, 1, 4, 1, 1))
        self.net = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor, ndvi: torch.Tensor) -> torch.Tensor:
        return self.net(torch.cat([x, ndvi], dim=1))


def _double_conv(cin: int, cout: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(cin, cout, 3, padding=1, bias=False),
        nn.BatchNorm2d(cout),
        nn.ReLU(True),
        nn.Conv2d(cout, cout, 3, padding=1, bias=False),
        nn.BatchNorm2d(cout),
        nn.ReLU(True),
    )


class Sen12tpUNet(nn.Module):
    """The SEN12TP U-Net: (N, C, H, W) → (N, 1, H, W) NDVI = 2(sigmoid − 0.5) in [−1, 1].

    Args:
        in_channels: input channels C.
        depth: number of max-pooling levels.
        base_filters: filters of the first block, doubled per level (64 in the paper).
    """

    def __init__(self, in_channels: int, depth: int = 4, base_filters: int = 16) -> None:
        super().__init__()
        self.depth = depth
        widths = [base_filters * 2**i for i in range(depth + 1)]
        self.enc = nn.ModuleList([_double_conv(in_channels, widths[0])])
        self.enc.extend(_double_conv(widths[i], widths[i + 1]) for i in range(depth))
        self.dec = nn.ModuleList(_double_conv(widths[i + 1] + widths[i], widths[i]) for i in reversed(range(depth)))
        self.head = nn.Conv2d(widths[0], 1, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x, (rows, cols) = pad_to_multiple(x, 2**self.depth)
        skips = [self.enc[0](x)]
        for layer in self.enc[1:]:
            skips.append(layer(F.max_pool2d(skips[-1], 2)))
        x = skips.pop()
        for layer in self.dec:
            skip = skips.pop()
            x = F.interpolate(x, size=skip.shape[-2:], mode="bilinear", align_corners=False)
            x = layer(torch.cat([x, skip], dim=1))
        return (2.0 * (torch.sigmoid(self.head(x)) - 0.5))[..., :rows, :cols]


def build_generator(
    family: str, in_channels: int, depth: int = 4, base_filters: int = 16, norm: str = "instance"
) -> nn.Module:
    """The generator of a model ``family`` (``pix2pix`` or ``sen12tp_unet``; ``norm`` is pix2pix's)."""
    if family == "pix2pix":
        return UNetGenerator(in_channels, depth, base_filters, norm=norm)
    if family == "sen12tp_unet":
        return Sen12tpUNet(in_channels, depth, base_filters)
    raise ValueError(f"unknown model family {family!r}; use one of {FAMILIES}")
