"""How much NDVI varies inside fields compared with between them, on fields delineated from the images.

The statistic is the one a field-mean estimator is judged by: on one date, the pooled within-field
variance ``W`` (mean over the fields' pixels of the squared distance to their field's mean, NDVI²) is
the MSE of an oracle that knows each field's mean NDVI; the between-field variance ``B`` (the
pixel-weighted variance of the field means) is what such an oracle explains. The within-field
standard deviation ``√W`` (NDVI) and the within share ``W / (W + B)`` describe a landscape.

Fields are delineated from the NDVI time series itself where no parcel polygons exist:
Felzenszwalb's graph segmentation (scikit-image) of a stack of clear dates, each segment shrunk by
one pixel so that pixels mixing two fields are left out. A segmentation drawn on the same images
that it is measured on would put its boundaries where the NDVI changes and so understate the
within-field variance; the dates are therefore split in two (alternate dates), the fields drawn on
one half and measured on the other, and the two ways averaged (cross-fitting).

Arrays are (rows, cols) or (dates, rows, cols) on one grid; the CRS does not enter.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import ndimage


@dataclass(frozen=True)
class VariancePartition:
    """NDVI variance of the fields' pixels on one date, split into within- and between-field parts (NDVI²)."""

    within: float
    between: float
    fields: int
    pixels: int

    @property
    def within_share(self) -> float:
        """``within / (within + between)``: 0 for uniform fields, 1 for fields that all share one mean."""
        total = self.within + self.between
        return self.within / total if total > 0 else float("nan")


def variance_partition(ndvi: np.ndarray, fields: np.ndarray) -> VariancePartition:
    """Within- and between-field variance of ``ndvi`` over the pixels with a field label > 0.

    Args:
        ndvi: NDVI of one date; NaN pixels are left out.
        fields: integer field label per pixel, 0 outside fields.

    Returns:
        The pooled within-field variance (the MSE of each pixel's own field mean) and the
        pixel-weighted variance of the field means; their sum is the variance of all those pixels.
    """
    ndvi = np.asarray(ndvi, np.float64)
    fields = np.asarray(fields)
    inside = (fields > 0) & np.isfinite(ndvi)
    values, labels = ndvi[inside], fields[inside]
    if values.size == 0:
        return VariancePartition(float("nan"), float("nan"), 0, 0)
    _, compact = np.unique(labels, return_inverse=True)
    counts = np.bincount(compact)
    means = np.bincount(compact, weights=values) / counts
    within = float(np.mean((values - means[compact]) ** 2))
    between = float(np.sum(counts * (means - values.mean()) ** 2) / values.size)
    return VariancePartition(within, between, int(counts.size), int(values.size))


def shrink_fields(fields: np.ndarray, pixels: int = 1) -> np.ndarray:
    """``fields`` with every field's border pixels (those touching another label) set to 0."""
    fields = np.asarray(fields)
    touching = np.zeros(fields.shape, bool)
    for _ in range(pixels):
        grown = ndimage.grey_dilation(fields, size=3) != ndimage.grey_erosion(fields, size=3)
        touching |= grown
        fields = np.where(touching, 0, fields)
    return fields


def delineate_fields(stack: np.ndarray, *, scale: float, min_pixels: int) -> np.ndarray:
    """Fields of a (dates, rows, cols) NDVI stack: Felzenszwalb segments shrunk by one pixel.

    Args:
        stack: NDVI of clear dates (no NaN).
        scale: Felzenszwalb's ``scale`` (larger: larger segments).
        min_pixels: smallest segment before shrinking, in pixels.

    Returns:
        An int32 label per pixel, 0 on the segments' borders and on segments left with fewer than
        ``min_pixels // 2`` pixels after shrinking.
    """
    from skimage.segmentation import felzenszwalb

    image = np.moveaxis(np.asarray(stack, np.float64), 0, -1)
    with warnings.catch_warnings():
        # the dates are the channels: scikit-image warns of more than 4, as they may be a mistake
        warnings.filterwarnings("ignore", message="Got image with third dimension", category=RuntimeWarning)
        segments = felzenszwalb(image, scale=scale, sigma=0.5, min_size=min_pixels, channel_axis=-1) + 1
    fields = shrink_fields(segments)
    counts = np.bincount(fields.ravel())
    small = counts < max(min_pixels // 2, 1)
    small[0] = True
    return np.where(small[fields], 0, fields).astype(np.int32)


def arable_fields(fields: np.ndarray, stack: np.ndarray, bare_below: float) -> np.ndarray:
    """``fields`` keeping only those whose median NDVI falls below ``bare_below`` on some date of ``stack``.

    Fields seen bare in the growing season are tilled (arable); forest, meadows and built-up land
    are not.
    """
    inside = fields > 0
    labels = fields[inside]
    # the pixels grouped by field once, rather than every field looked for in the whole image
    order = np.argsort(labels, kind="stable")
    ids, starts = np.unique(labels[order], return_index=True)
    values = np.asarray(stack)[:, inside][:, order]
    keep = np.zeros(int(fields.max()) + 1, bool)
    for label, group in zip(ids, np.split(values, starts[1:], axis=1), strict=True):
        keep[label] = bool(np.nanmin(np.nanmedian(group, axis=1)) < bare_below)
    return np.where(keep[fields], fields, 0)


@dataclass(frozen=True)
class Variability:
    """Within- and between-field NDVI variability over several dates (means of the dates' variances)."""

    within_std: float
    between_std: float
    within_share: float
    fields: int
    dates: int
    median_field_pixels: float


def cross_fitted_variability(
    stack: np.ndarray,
    *,
    scale: float,
    min_pixels: int,
    bare_below: float | None,
    fields: np.ndarray | None = None,
) -> Variability:
    """Within- and between-field variability of a (dates, rows, cols) stack of clear NDVI.

    With ``fields`` None, fields are delineated on alternate dates and measured on the others,
    both ways (see the module's description); with ``fields`` given (known parcels, already shrunk),
    every date is measured on them. ``bare_below`` keeps arable fields only (None keeps all).
    The variances are averaged over the measured dates, then square-rooted.
    """
    stack = np.asarray(stack, np.float64)
    dates = stack.shape[0]
    if fields is None:
        halves = [np.arange(0, dates, 2), np.arange(1, dates, 2)]
        splits = [(halves[0], halves[1]), (halves[1], halves[0])]
    else:
        splits = [(None, np.arange(dates))]
    parts: list[VariancePartition] = []
    counts: list[int] = []
    sizes: list[np.ndarray] = []
    for drawn_on, measured_on in splits:
        labels = fields if drawn_on is None else delineate_fields(stack[drawn_on], scale=scale, min_pixels=min_pixels)
        if bare_below is not None:
            labels = arable_fields(labels, stack, bare_below)
        counts.append(len(np.unique(labels[labels > 0])))
        per_field = np.bincount(labels.ravel())[1:]
        sizes.append(per_field[per_field > 0])
        parts.extend(variance_partition(stack[d], labels) for d in measured_on)
    within = float(np.nanmean([p.within for p in parts]))
    between = float(np.nanmean([p.between for p in parts]))
    return Variability(
        within_std=float(np.sqrt(within)),
        between_std=float(np.sqrt(between)),
        within_share=within / (within + between),
        fields=round(float(np.mean(counts))),
        dates=dates,
        median_field_pixels=float(np.median(np.concatenate(sizes))) if sizes else float("nan"),
    )


def growing_season_dates(dates: Sequence[str], months: tuple[int, int]) -> list[int]:
    """Indexes of ISO ``dates`` whose month lies in ``months`` (first, last), inclusive."""
    return [i for i, d in enumerate(dates) if months[0] <= int(d[5:7]) <= months[1]]
