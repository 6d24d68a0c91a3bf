"""Model variants: the settings that decide what a trained model is, encoded in its folder name.

A variant is named ``<family>-<inputs>-<augmentation>-s<seed>``, e.g. ``pix2pix-indexes-aug-s42``:

- family: ``pix2pix`` (U-Net + PatchGAN, cGAN + λ·L1) or ``sen12tp_unet`` (sigmoid U-Net, L1);
- inputs: ``indexes`` (the ten SAR channels of Kimura et al. §4.4) or ``plain`` (clipped VV and VH
  only, the "no SAR indexes" ablation), each optionally followed by ``_dem`` (terrain height as an
  extra channel, as in SEN12TP) and ``_lc`` (land cover: 1 on the farm parcels of the MAFF
  polygons, 0 elsewhere, the land-cover input of SEN12TP for this study);
- augmentation: ``aug`` (random rotation, zoom and flips of training crops) or ``noaug``;
- seed: of weights, crops and augmentation.

Every model of a variant lives in ``results/models/<variant>/``: ``pretrain.pt`` (S1 → regression-
corrected S2 NDVI), ``finetune.pt`` (initialised from it, S1 → Planet NDVI) and ``scratch.pt``
(S1 → Planet NDVI without pre-training). Settings that only change inference (test-time
augmentation) are not part of the name, so ablations that differ only there share their models.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from sar2ndvi.indexes import CHANNEL_NAMES, PLAIN_CHANNEL_NAMES

HEIGHT_CHANNEL = "height_m"
LAND_COVER_CHANNEL = "farm_parcel"
#: the channels every dataset stores, in order: the ten SAR channels, the DEM height (m), land cover
DATASET_CHANNELS: tuple[str, ...] = (*CHANNEL_NAMES, HEIGHT_CHANNEL, LAND_COVER_CHANNEL)
FAMILIES = ("pix2pix", "sen12tp_unet")
STAGES = ("pretrain", "finetune", "scratch")
VARIANT_PATTERN = r"(pix2pix|sen12tp_unet)-(indexes|plain)(_dem)?(_lc)?-(aug|noaug)-s\d+"
_VARIANT = re.compile(rf"^{VARIANT_PATTERN}$")


@dataclass(frozen=True)
class ModelVariant:
    """What a trained model is (see the module docstring)."""

    family: str = "pix2pix"
    sar_indexes: bool = True
    dem: bool = False
    train_augmentation: bool = True
    seed: int = 42
    land_cover: bool = False

    def __post_init__(self) -> None:
        if self.family not in FAMILIES:
            raise ValueError(f"unknown model family {self.family!r}; use one of {', '.join(FAMILIES)}")

    @property
    def name(self) -> str:
        inputs = (
            ("indexes" if self.sar_indexes else "plain")
            + ("_dem" if self.dem else "")
            + ("_lc" if self.land_cover else "")
        )
        return f"{self.family}-{inputs}-{'aug' if self.train_augmentation else 'noaug'}-s{self.seed}"

    @property
    def channels(self) -> tuple[str, ...]:
        """Names of the input channels, a subset of :data:`DATASET_CHANNELS` in its order."""
        sar = CHANNEL_NAMES if self.sar_indexes else PLAIN_CHANNEL_NAMES
        return (*sar, *((HEIGHT_CHANNEL,) if self.dem else ()), *((LAND_COVER_CHANNEL,) if self.land_cover else ()))

    @classmethod
    def parse(cls, name: str) -> ModelVariant:
        """The variant of a folder name.

        Raises:
            ValueError: if ``name`` is not a variant name.
        """
        match = _VARIANT.match(name)
        if not match:
            raise ValueError(f"{name!r} is not a model variant name such as 'pix2pix-indexes-aug-s42'")
        family, inputs, dem, land_cover, augmentation = match.groups()
        seed = int(name.rsplit("-s", 1)[1])
        return cls(family, inputs == "indexes", dem is not None, augmentation == "aug", seed, land_cover is not None)

    @classmethod
    def from_config(cls, model: dict) -> ModelVariant:
        """The variant of the workflow's ``model:`` config section."""
        return cls(
            family=model["family"],
            sar_indexes=bool(model["use_sar_indexes"]),
            dem=bool(model.get("use_dem", False)),
            train_augmentation=bool(model["train_augmentation"]),
            seed=int(model["seed"]),
            land_cover=bool(model.get("use_land_cover", False)),
        )

    def with_(self, **changes) -> ModelVariant:
        """A copy with some settings changed."""
        return replace(self, **changes)


def channel_positions(available: tuple[str, ...] | list[str], wanted: tuple[str, ...] | list[str]) -> list[int]:
    """Positions of the ``wanted`` channel names among the ``available`` ones.

    Raises:
        ValueError: naming the channels that are missing.
    """
    available = list(available)
    missing = [name for name in wanted if name not in available]
    if missing:
        raise ValueError(f"channels {missing} are not among the inputs {available}; rebuild the dataset")
    return [available.index(name) for name in wanted]


@dataclass(frozen=True)
class AblationRow:
    """One row of Table 3 of Kimura et al. (2023): which components are used, and the paper's MSE."""

    method: str
    pre_training: bool
    fine_tuning: bool
    sar_indexes: bool
    training_aug: bool
    test_time_aug: bool
    paper_mse: float

    def model(self, main: ModelVariant) -> tuple[ModelVariant, str]:
        """The (variant, stage) whose model this row evaluates, derived from the main variant."""
        variant = main.with_(sar_indexes=self.sar_indexes, train_augmentation=self.training_aug)
        if not self.pre_training:
            return variant, "scratch"
        return variant, "finetune" if self.fine_tuning else "pretrain"


#: Table 3 of Kimura et al. (2023): validation MSE of the method and of each ablation.
ABLATION_TABLE: tuple[AblationRow, ...] = (
    AblationRow("Ours", True, True, True, True, True, 0.008661),
    AblationRow("Ablation 1", False, True, True, True, True, 0.020866),
    AblationRow("Ablation 2", True, False, True, True, True, 0.009835),
    AblationRow("Ablation 3", True, True, False, True, True, 0.010978),
    AblationRow("Ablation 4", True, True, True, False, True, 0.018021),
    AblationRow("Ablation 5", True, True, True, True, False, 0.009048),
)


__all__ = [
    "ABLATION_TABLE",
    "DATASET_CHANNELS",
    "FAMILIES",
    "HEIGHT_CHANNEL",
    "LAND_COVER_CHANNEL",
    "STAGES",
    "VARIANT_PATTERN",
    "AblationRow",
    "ModelVariant",
    "channel_positions",
]
