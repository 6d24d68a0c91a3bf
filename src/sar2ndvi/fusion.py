"""A gap-free NDVI series from SAR predictions and clear optical observations: a weighted Whittaker smoother.

Each series (a pixel, or a field's mean) is estimated on a regular time step from its observations
``y_i`` at times ``t_i``, each with a standard deviation ``σ_i`` (NDVI units). The smoother (Eilers,
2003) minimises

    Σ_i w_i (y_i − z(t_i))² + λ Σ_k (Δ^d z)_k²,    w_i = 1 / σ_i²,

over the values ``z`` on the regular steps, ``Δ^d`` the ``d``-th difference between steps. Read as a
Bayesian model — observations ``y_i ~ N(z(t_i), σ_i²)`` and a random walk of order ``d`` as the prior
of ``z`` with increments of variance ``1/λ`` — it is the Kalman smoother of that state-space model,
and its posterior covariance is ``(W + λ DᵀD)⁻¹``: the fused series comes with a standard deviation
that widens in the gaps and narrows where precise observations lie. Radar predictions enter with
their calibrated error, clear optical dates with theirs, so one precise optical date outweighs
several radar predictions around it, and the radar carries the curve through the cloudy weeks.

A weighted Whittaker smoother rather than a Gaussian process (FuseTS's MOGPR) or a learnt model:
it is linear, has one parameter (``λ``, chosen on the validation area), handles uneven sampling
and missing values by zero weights, costs one banded solve per series (thousands of pixels per
second), and gives the posterior variance exactly.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from scipy.linalg import cho_solve_banded, cholesky_banded

#: days between the regular steps of the fused series, unless configured
DEFAULT_STEP_DAYS = 1


def regular_steps(start: np.datetime64, end: np.datetime64, step_days: int) -> np.ndarray:
    """Dates (``datetime64[D]``) from ``start`` to ``end`` inclusive, every ``step_days`` days."""
    first, last = np.datetime64(start, "D"), np.datetime64(end, "D")
    if last < first:
        raise ValueError(f"the series ends ({last}) before it starts ({first})")
    return np.arange(first, last + np.timedelta64(1, "D"), np.timedelta64(step_days, "D"))


def difference_penalty(steps: int, order: int = 2) -> np.ndarray:
    """DᵀD of the ``order``-th differences of ``steps`` values, upper banded (:func:`scipy.linalg.cholesky_banded`)."""
    if steps <= order:
        raise ValueError(f"a series of {steps} steps is too short for differences of order {order}")
    d = np.diff(np.eye(steps), n=order, axis=0)
    full = d.T @ d
    bands = np.zeros((order + 1, steps))
    for k in range(order + 1):
        bands[order - k, k:] = np.diagonal(full, offset=k)
    return bands


def place_on_steps(
    times: np.ndarray, values: np.ndarray, sigmas: np.ndarray, steps: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Observations of series, each put on its nearest step: (weight sum, weighted value) per step.

    Args:
        times: (N,) ``datetime64`` of the observations, shared by every series.
        values: (S, N) NDVI, NaN where a series has no observation at that time.
        sigmas: (S, N) or (N,) standard deviations of the observations (NDVI).
        steps: (T,) regular dates (:func:`regular_steps`).

    Returns:
        ``weights`` (S, T), the sum of ``1/σ²`` of the observations on each step (0 where none),
        and ``means`` (S, T), their inverse-variance weighted mean (0 where none). Observations
        more than half a step outside the steps are left out.
    """
    values = np.atleast_2d(np.asarray(values, np.float64))
    sigmas = np.broadcast_to(np.asarray(sigmas, np.float64), values.shape)
    index = _step_index(times, steps)
    inside = (index >= 0) & (index < len(steps))
    weights = np.zeros((values.shape[0], len(steps)))
    sums = np.zeros_like(weights)
    for n in np.flatnonzero(inside):
        ok = np.isfinite(values[:, n]) & np.isfinite(sigmas[:, n]) & (sigmas[:, n] > 0)
        w = np.where(ok, 1.0 / np.where(ok, sigmas[:, n], 1.0) ** 2, 0.0)
        weights[:, index[n]] += w
        sums[:, index[n]] += w * np.where(ok, values[:, n], 0.0)
    means = np.divide(sums, weights, out=np.zeros_like(sums), where=weights > 0)
    return weights, means


def whittaker(
    weights: np.ndarray,
    means: np.ndarray,
    smoothness: float,
    order: int = 2,
    with_std: bool = True,
    std_step: int | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """The weighted Whittaker smoother of series on regular steps, and its posterior standard deviation.

    Args:
        weights: (S, T) ``1/σ²`` of the observation on each step, 0 where none (:func:`place_on_steps`).
        means: (S, T) the observed values (ignored where the weight is 0).
        smoothness: λ, in 1/NDVI² per squared ``order``-th difference between steps.
        order: of the differences penalised (2: the curve bends as little as the data allow).
        with_std: also compute the posterior standard deviation (a second, larger solve).
        std_step: compute it on this step only (one more solve per series; NaN on the others).

    Returns:
        (S, T) fused values and (S, T) standard deviations (NDVI); NaN for series with fewer than
        ``order`` steps observed, which fix no curve of that order.
    """
    weights = np.atleast_2d(np.asarray(weights, np.float64))
    means = np.atleast_2d(np.asarray(means, np.float64))
    series, steps = weights.shape
    penalty = smoothness * difference_penalty(steps, order)
    fused = np.full((series, steps), np.nan)
    std = np.full((series, steps), np.nan)
    if std_step is None:
        unit = np.eye(steps)
    else:
        unit = np.zeros(steps)
        unit[std_step] = 1.0
    for s in np.flatnonzero((weights > 0).sum(axis=1) >= order):
        bands = penalty.copy()
        bands[order] += weights[s]
        factor = cholesky_banded(bands)
        fused[s] = cho_solve_banded((factor, False), weights[s] * means[s])
        if with_std and std_step is None:
            std[s] = np.sqrt(np.diagonal(cho_solve_banded((factor, False), unit)))
        elif with_std:
            std[s, std_step] = np.sqrt(cho_solve_banded((factor, False), unit)[std_step])
    return fused, std


#: one kind of observation of S series: times (N,), values (S, N) with NaN where none, sigmas (S, N) or (N,)
Observations = tuple[np.ndarray, np.ndarray, np.ndarray]


@dataclass(frozen=True)
class RadarBias:
    """A slowly varying offset of the radar predictions from the truth, estimated with the series.

    The radar observations are read as ``y = z(t) + b(t) + e``: ``b`` is a first-order random walk
    (increments of variance ``1/smoothness`` per step) pulled towards 0 (a prior of variance
    ``1/shrinkage``). A model's error on a field persists from one acquisition to the next; where
    optical dates lie, ``b`` is learnt and carried into the gaps between them, and far from any
    optical date it fades to 0, leaving the radar as it is.
    """

    smoothness: float
    shrinkage: float


def whittaker_with_bias(
    weights: np.ndarray,
    means: np.ndarray,
    biased_weights: np.ndarray,
    biased_means: np.ndarray,
    smoothness: float,
    bias: RadarBias,
    order: int = 2,
    with_std: bool = True,
    std_step: int | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`whittaker` with a second kind of observation that carries a :class:`RadarBias`.

    The unknowns of a series are ``z`` and ``b`` on every step, interleaved (``z₀, b₀, z₁, b₁, …``)
    so that the normal equations stay banded (upper bandwidth ``2·order``).

    Args:
        weights, means: (S, T) the unbiased observations (optical), as in :func:`whittaker`.
        biased_weights, biased_means: (S, T) the biased ones (radar).

    Returns:
        (S, T) fused values of ``z`` and their posterior standard deviations.
    """
    weights, means = np.atleast_2d(weights), np.atleast_2d(means)
    biased_weights, biased_means = np.atleast_2d(biased_weights), np.atleast_2d(biased_means)
    series, steps = weights.shape
    width = 2 * max(order, 1)
    template = np.zeros((width + 1, 2 * steps))
    penalty = smoothness * difference_penalty(steps, order)
    for k in range(order + 1):
        template[width - 2 * k, 2 * k :: 2] = penalty[order - k, k:]
    walk = bias.smoothness * difference_penalty(steps, 1)
    template[width, 1::2] += walk[1] + bias.shrinkage
    template[width - 2, 3::2] += walk[0, 1:]
    fused = np.full((series, steps), np.nan)
    std = np.full((series, steps), np.nan)
    seen = ((weights > 0) | (biased_weights > 0)).sum(axis=1) >= order
    for s in np.flatnonzero(seen):
        bands = template.copy()
        bands[width, 0::2] += weights[s] + biased_weights[s]
        bands[width, 1::2] += biased_weights[s]
        bands[width - 1, 1::2] += biased_weights[s]
        rhs = np.zeros(2 * steps)
        rhs[0::2] = weights[s] * means[s] + biased_weights[s] * biased_means[s]
        rhs[1::2] = biased_weights[s] * biased_means[s]
        factor = cholesky_banded(bands)
        fused[s] = cho_solve_banded((factor, False), rhs)[0::2]
        if with_std and std_step is None:
            unit = np.zeros((2 * steps, steps))
            unit[2 * np.arange(steps), np.arange(steps)] = 1.0
            std[s] = np.sqrt(np.diagonal(cho_solve_banded((factor, False), unit)[0::2]))
        elif with_std:
            unit = np.zeros(2 * steps)
            unit[2 * std_step] = 1.0
            std[s, std_step] = np.sqrt(cho_solve_banded((factor, False), unit)[2 * std_step])
    return fused, std


def fuse(
    steps: np.ndarray,
    observations: Sequence[Observations],
    smoothness: float,
    order: int = 2,
    with_std: bool = True,
    std_step: int | None = None,
    biased: Sequence[bool] = (),
    bias: RadarBias | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Fuse several kinds of observation of the same series (radar predictions, optical dates) on ``steps``.

    Args:
        observations: per kind, (times (N,), values (S, N), sigmas (S, N) or (N,)) as in
            :func:`place_on_steps`.
        biased: per kind, whether it carries the :class:`RadarBias` ``bias`` (ignored without one).

    Returns:
        (S, T) fused NDVI and its standard deviation (:func:`whittaker`, :func:`whittaker_with_bias`).
    """
    if not observations:
        raise ValueError("nothing to fuse: no observations given")
    biased = list(biased) + [False] * (len(observations) - len(biased))
    if bias is None:
        biased = [False] * len(observations)
    sums = {}
    for (times, values, sigmas), kind in zip(observations, biased, strict=True):
        w, m = place_on_steps(times, values, sigmas, steps)
        total_w, total_wy = sums.get(kind, (0.0, 0.0))
        sums[kind] = (total_w + w, total_wy + w * m)

    def weighted(kind):
        if kind not in sums:
            shape = (np.atleast_2d(observations[0][1]).shape[0], len(steps))
            return np.zeros(shape), np.zeros(shape)
        total_w, total_wy = sums[kind]
        return total_w, np.divide(total_wy, total_w, out=np.zeros_like(total_wy), where=total_w > 0)

    if True not in sums:
        return whittaker(*weighted(False), smoothness, order, with_std, std_step)
    return whittaker_with_bias(*weighted(False), *weighted(True), smoothness, bias, order, with_std, std_step)


def nearest_step(time: np.datetime64, steps: np.ndarray) -> int:
    """Index of the step nearest to ``time`` (clipped to the steps)."""
    return int(np.clip(_step_index(time, steps), 0, len(steps) - 1))


def _step_index(times: np.ndarray | np.datetime64, steps: np.ndarray) -> np.ndarray:
    """Index of the step nearest to each of ``times``, not clipped (outside the steps: < 0 or ≥ T)."""
    days = (np.asarray(times, "datetime64[s]") - steps[0].astype("datetime64[s]")) / np.timedelta64(1, "D")
    step_days = (steps[1] - steps[0]) / np.timedelta64(1, "D") if len(steps) > 1 else 1.0
    return np.rint(days / step_days).astype(int)


def leave_one_date_out(
    steps: np.ndarray,
    hidden: Observations,
    others: Sequence[Observations],
    smoothness: float,
    with_std: bool = False,
    gap_days: float = 0.0,
    gapped: Sequence[bool] = (),
    biased: Sequence[bool] = (),
    bias: RadarBias | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The fused series at each date of ``hidden`` when that date is left out.

    Args:
        hidden: the kind whose dates are hidden one at a time (the reference sensor's images).
        others: the kinds kept (radar predictions, the other optical sensor).
        gap_days: if above 0, also leave out the observations within this many days of the hidden
            date — of ``hidden`` and of each of ``others`` whose entry in ``gapped`` is true — as a
            cloudy spell of ``2 · gap_days`` days would.
        gapped: for each of ``others``, whether the gap applies to it (optical: yes; radar: no).
        biased, bias: for each of ``others``, whether it carries the :class:`RadarBias` ``bias``.

    Returns:
        (S, M) the fused NDVI on the step of each of the M hidden dates, fused without it; its
        posterior standard deviation there (NaN unless ``with_std``); and the days from that step
        to the nearest observation left of ``hidden`` and of the ``gapped`` kinds (the optical
        dates), as :func:`days_to_nearest` measures it for a fused series.
    """
    times, values, sigmas = hidden
    values = np.atleast_2d(values)
    sigmas = np.broadcast_to(np.asarray(sigmas, np.float64), values.shape)
    gapped = list(gapped) + [False] * (len(others) - len(gapped))
    estimate = np.full(values.shape, np.nan)
    spread = np.full(values.shape, np.nan)
    distance = np.full(values.shape, np.inf)

    def outside(when: np.ndarray, centre: np.datetime64) -> np.ndarray:
        return np.abs((np.asarray(when, "datetime64[s]") - centre) / np.timedelta64(1, "D")) > gap_days

    for m in range(len(times)):
        centre = np.datetime64(times[m], "s")
        kept = outside(times, centre) if gap_days > 0 else np.ones(len(times), bool)
        kept[m] = False
        kinds = [(times[kept], values[:, kept], sigmas[:, kept])]
        optical = [kinds[0][:2]]
        for (when, vals, sig), gap in zip(others, gapped, strict=True):
            if gap and gap_days > 0:
                keep = outside(when, centre)
                vals = np.atleast_2d(vals)
                sig = np.broadcast_to(np.asarray(sig, np.float64), vals.shape)
                when, vals, sig = np.asarray(when)[keep], vals[:, keep], sig[:, keep]
            kinds.append((when, vals, sig))
            if gap:
                optical.append((when, vals))
        step = nearest_step(times[m], steps)
        fused, std = fuse(
            steps, kinds, smoothness, with_std=with_std, std_step=step, biased=[False, *biased], bias=bias
        )
        estimate[:, m], spread[:, m] = fused[:, step], std[:, step]
        distance[:, m] = days_to_nearest(steps[step : step + 1], optical)[:, 0]
    return estimate, spread, distance


def paired_errors(
    times: np.ndarray, values: np.ndarray, reference_times: np.ndarray, reference: np.ndarray, max_days: float
) -> np.ndarray:
    """Errors of observations against the reference's, each reference date paired with the nearest
    observation time within ``max_days`` (series where both have a value), flattened.

    Raises:
        ValueError: if no observation lies close enough to a reference date.
    """
    values, reference = np.atleast_2d(values), np.atleast_2d(reference)
    times = np.asarray(times, "datetime64[s]")
    errors = []
    for m, when in enumerate(np.asarray(reference_times, "datetime64[s]")):
        gaps = np.abs((times - when) / np.timedelta64(1, "D"))
        if not len(gaps) or gaps.min() > max_days:
            continue
        diff = values[:, int(np.argmin(gaps))] - reference[:, m]
        errors.append(diff[np.isfinite(diff)])
    errors = np.concatenate(errors) if errors else np.array([])
    if not errors.size:
        raise ValueError(f"no observation lies within {max_days} days of a reference date on the same series")
    return errors


def paired_rmse(
    times: np.ndarray, values: np.ndarray, reference_times: np.ndarray, reference: np.ndarray, max_days: float
) -> float:
    """RMSE of :func:`paired_errors`."""
    errors = paired_errors(times, values, reference_times, reference, max_days)
    return float(np.sqrt(np.mean(errors**2)))


def field_statistics(images: np.ndarray, parcels: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per-field mean, standard deviation and count of the finite pixels of each image.

    Args:
        images: (N, H, W) values (NaN where none).
        parcels: (H, W) parcel ids, 0 = not a field.

    Returns:
        ids (F,), and (F, N) means, standard deviations (population) and valid-pixel counts; the
        mean and deviation are NaN where a field has no valid pixel in an image.
    """
    images = np.asarray(images, np.float64)
    ids, inverse = np.unique(parcels[parcels > 0], return_inverse=True)
    on_field = parcels > 0
    means = np.full((len(ids), len(images)), np.nan)
    stds = np.full_like(means, np.nan)
    counts = np.zeros(means.shape, np.int64)
    for n, image in enumerate(images):
        values = image[on_field]
        ok = np.isfinite(values)
        count = np.bincount(inverse[ok], minlength=len(ids))
        total = np.bincount(inverse[ok], weights=values[ok], minlength=len(ids))
        squares = np.bincount(inverse[ok], weights=values[ok] ** 2, minlength=len(ids))
        seen = count > 0
        mean = np.divide(total, count, out=np.full(len(ids), np.nan), where=seen)
        variance = np.divide(squares, count, out=np.full(len(ids), np.nan), where=seen) - mean**2
        means[:, n], stds[:, n], counts[:, n] = mean, np.sqrt(np.clip(variance, 0, None)), count
    return ids, means, stds, counts


def days_to_nearest(steps: np.ndarray, kinds: Sequence[tuple[np.ndarray, np.ndarray]]) -> np.ndarray:
    """(S, T) days from each step to the nearest observation of each series, over ``kinds`` ((times, values (S, N)));
    infinite where a series has none."""
    step_times = steps.astype("datetime64[s]")
    distance = None
    for times, values in kinds:
        values = np.atleast_2d(values)
        if distance is None:
            distance = np.full((values.shape[0], len(steps)), np.inf)
        for n, when in enumerate(np.asarray(times, "datetime64[s]")):
            days = np.abs((step_times - when) / np.timedelta64(1, "D"))
            seen = np.isfinite(values[:, n])
            distance[seen] = np.minimum(distance[seen], days)
    if distance is None:
        raise ValueError("no observations to measure distances to")
    return distance


def factor_by_distance(distance: np.ndarray, factors: Mapping[float, float]) -> np.ndarray:
    """The factor of the largest gap (a key of ``factors``, days) not beyond each ``distance`` (days).

    ``factors`` are interval factors calibrated with the optical dates within each gap left out
    (:func:`leave_one_date_out`): a step ``distance`` days from the nearest optical date takes
    the factor of the widest such gap the distance reaches; nearer than every gap, the smallest's.
    """
    by_gap = {float(gap): value for gap, value in factors.items()}
    gaps = np.array(sorted(by_gap))
    values = np.array([by_gap[g] for g in gaps])
    level = np.clip(np.searchsorted(gaps, np.asarray(distance, np.float64), side="right") - 1, 0, len(gaps) - 1)
    return values[level]


def interval_coverage(errors: np.ndarray, stds: np.ndarray, z: float) -> float:
    """Share of finite ``errors`` within ``z`` standard deviations (the coverage of the ±z·σ interval)."""
    ok = np.isfinite(errors) & np.isfinite(stds) & (stds > 0)
    if not ok.any():
        return float("nan")
    return float(np.mean(np.abs(errors[ok]) <= z * stds[ok]))


def std_scale(errors: np.ndarray, stds: np.ndarray, coverage: float = 0.6827) -> float:
    """The factor that makes ±factor·σ intervals cover ``coverage`` of the errors (1σ of a normal: 68.27 %).

    Applied to errors held out from the fit (a split-conformal calibration), it corrects a
    deviation that is too large or too small; with a factor per coverage it also corrects tails
    heavier than a normal's, where ±1.96σ would cover less than 95 %.
    """
    ok = np.isfinite(errors) & np.isfinite(stds) & (stds > 0)
    if not ok.any():
        raise ValueError("no error with a standard deviation to calibrate on")
    return float(np.quantile(np.abs(errors[ok]) / stds[ok], coverage))


__all__ = [
    "DEFAULT_STEP_DAYS",
    "Observations",
    "RadarBias",
    "days_to_nearest",
    "difference_penalty",
    "factor_by_distance",
    "field_statistics",
    "fuse",
    "interval_coverage",
    "leave_one_date_out",
    "nearest_step",
    "paired_errors",
    "paired_rmse",
    "place_on_steps",
    "regular_steps",
    "std_scale",
    "whittaker",
    "whittaker_with_bias",
]
