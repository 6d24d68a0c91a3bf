"""Baselines the method is measured against, on the same paired samples.

- :func:`fit_rvi_regression`: per-pixel linear regression NDVI = a · RVI + b, RVI = 4 VH / (VV + VH)
  in linear power (the simplest radar vegetation index model), fitted by least squares on the farm
  pixels of the training samples.
- :func:`training_mean` and :func:`same_date_means`: trivial baselines, one NDVI value for every
  pixel: the mean of the training targets, and the training area's mean on the same date (an
  oracle on the date's mean level).
- :class:`FieldForest`: a random forest on per-field statistics of the SAR channels, predicting each
  field's mean NDVI (Pelta et al., 2022, the source of the index set of Kimura et al.). Every farm
  pixel of a field gets its field's prediction. scikit-learn's ``RandomForestRegressor`` does the
  learning; what is written here is the per-field feature table.

Samples are the dataset arrays: ``x`` (N, C, H, W) raw channels, ``y`` (N, 1, H, W) NDVI, ``mask``
(N, 1, H, W) farm pixels with a valid target; ``parcels`` (H, W) int parcel ids (0 = not farm) on the
samples' grid.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from sklearn.ensemble import RandomForestRegressor

from sar2ndvi.regression import LinearFit, fit_linear


def training_mean(y: np.ndarray, mask: np.ndarray) -> float:
    """The mean NDVI of the training targets' farm pixels."""
    return float(np.nanmean(y[mask > 0]))


def same_date_means(
    y: np.ndarray, mask: np.ndarray, pair_index: np.ndarray, ndvi_dates: Sequence[str]
) -> dict[str, float]:
    """The training targets' mean NDVI per date (``ndvi_dates[pair_index[k]]`` is sample k's date)."""
    values: dict[str, list[np.ndarray]] = {}
    for k, pair in enumerate(pair_index):
        values.setdefault(ndvi_dates[pair], []).append(y[k][mask[k] > 0])
    return {date: float(np.concatenate(v).mean()) for date, v in values.items()}


def fit_rvi_regression(rvi: np.ndarray, ndvi: np.ndarray, mask: np.ndarray) -> LinearFit:
    """NDVI ≈ slope · RVI + intercept over the pixels where ``mask`` is true and both are finite.

    Raises:
        ValueError: if fewer than two pixels are usable.
    """
    keep = np.asarray(mask, bool) & np.isfinite(rvi) & np.isfinite(ndvi)
    return fit_linear(np.asarray(rvi)[keep], np.asarray(ndvi)[keep])


def field_features(x: np.ndarray, parcels: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-field statistics of each sample's channels.

    Args:
        x: (N, C, H, W) raw channels; NaN = no data.
        parcels: (H, W) parcel ids, 0 = not farm.

    Returns:
        (features, sample, parcel): ``features`` (M, 2C) the mean and standard deviation of every
        channel over the field's pixels with data, one row per (sample, field) with any such pixel;
        ``sample`` and ``parcel`` (M,) say which.
    """
    x = np.asarray(x, np.float64)
    ids = np.unique(parcels[parcels > 0])
    areas = [parcels == pid for pid in ids]
    rows, samples, fields = [], [], []
    for n in range(len(x)):
        valid = np.isfinite(x[n]).all(axis=0)
        for pid, area in zip(ids, areas, strict=True):
            pixels = area & valid
            if not pixels.any():
                continue
            values = x[n][:, pixels]
            rows.append(np.concatenate([values.mean(axis=1), values.std(axis=1)]))
            samples.append(n)
            fields.append(pid)
    width = 2 * x.shape[1]
    return (
        np.asarray(rows, np.float64).reshape(-1, width),
        np.asarray(samples, np.int64),
        np.asarray(fields, np.int64),
    )


def field_targets(y: np.ndarray, mask: np.ndarray, parcels: np.ndarray, sample: np.ndarray, parcel: np.ndarray):
    """Mean NDVI of each (sample, field) over its masked pixels; NaN where the field has none."""
    out = np.full(len(sample), np.nan)
    for k, (n, pid) in enumerate(zip(sample, parcel, strict=True)):
        pixels = (parcels == pid) & (np.asarray(mask[n, 0]) > 0) & np.isfinite(y[n, 0])
        if pixels.any():
            out[k] = float(y[n, 0][pixels].mean())
    return out


@dataclass
class FieldForest:
    """Random forest regression of field-mean NDVI on per-field SAR statistics."""

    trees: int = 200
    min_samples_leaf: int = 2
    seed: int = 42
    threads: int = 2
    model: RandomForestRegressor | None = field(default=None, repr=False)

    def fit(self, x: np.ndarray, y: np.ndarray, mask: np.ndarray, parcels: np.ndarray) -> FieldForest:
        """Fit on training samples (see the module docstring for the shapes).

        Raises:
            ValueError: if no field has both SAR data and a target.
        """
        features, sample, parcel = field_features(x, parcels)
        targets = field_targets(y, mask, parcels, sample, parcel)
        usable = np.isfinite(targets)
        if not usable.any():
            raise ValueError("no field has both SAR data and an NDVI target; check the farm mask and the pairs")
        self.model = RandomForestRegressor(
            n_estimators=self.trees,
            min_samples_leaf=self.min_samples_leaf,
            random_state=self.seed,
            n_jobs=self.threads,
        ).fit(features[usable], targets[usable])
        return self

    def predict(self, x: np.ndarray, parcels: np.ndarray) -> np.ndarray:
        """NDVI (N, H, W): each field's predicted mean on its pixels, NaN off the fields or without SAR."""
        if self.model is None:
            raise RuntimeError("fit the forest before predicting")
        out = np.full((len(x), *parcels.shape), np.nan, np.float32)
        features, sample, parcel = field_features(x, parcels)
        if not len(features):
            return out
        values = self.model.predict(features)
        for n, pid, value in zip(sample, parcel, values, strict=True):
            pixels = (parcels == pid) & np.isfinite(x[n]).all(axis=0)
            out[n][pixels] = value
        return out


__all__ = ["FieldForest", "field_features", "field_targets", "fit_rvi_regression"]
