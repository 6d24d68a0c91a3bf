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

from collections.abc import Sequence

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
    days = (np.asarray(times, "datetime64[s]") - steps[0].astype("datetime64[s]")) / np.timedelta64(1, "D")
    step_days = (steps[1] - steps[0]) / np.timedelta64(1, "D") if len(steps) > 1 else 1.0
    index = np.rint(days / step_days).astype(int)
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
    weights: np.ndarray, means: np.ndarray, smoothness: float, order: int = 2, with_std: bool = True
) -> tuple[np.ndarray, np.ndarray]:
    """The weighted Whittaker smoother of series on regular steps, and its posterior standard deviation.

    Args:
        weights: (S, T) ``1/σ²`` of the observation on each step, 0 where none (:func:`place_on_steps`).
        means: (S, T) the observed values (ignored where the weight is 0).
        smoothness: λ, in 1/NDVI² per squared ``order``-th difference between steps.
        order: of the differences penalised (2: the curve bends as little as the data allow).
        with_std: also compute the posterior standard deviation (a second, larger solve).

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
    identity = np.eye(steps)
    for s in np.flatnonzero((weights > 0).sum(axis=1) >= order):
        bands = penalty.copy()
        bands[order] += weights[s]
        factor = cholesky_banded(bands)
        fused[s] = cho_solve_banded((factor, False), weights[s] * means[s])
        if with_std:
            std[s] = np.sqrt(np.diagonal(cho_solve_banded((factor, False), identity)))
    return fused, std


def fuse(
    steps: np.ndarray,
    observations: Sequence[tuple[np.ndarray, np.ndarray, np.ndarray]],
    smoothness: float,
    order: int = 2,
    with_std: bool = True,
) -> tuple[np.ndarray, np.ndarray]:
    """Fuse several kinds of observation of the same series (radar predictions, optical dates) on ``steps``.

    Args:
        observations: per kind, (times (N,), values (S, N), sigmas (S, N) or (N,)) as in
            :func:`place_on_steps`.

    Returns:
        (S, T) fused NDVI and its standard deviation (:func:`whittaker`).
    """
    total_w = total_wy = None
    for times, values, sigmas in observations:
        w, m = place_on_steps(times, values, sigmas, steps)
        total_w = w if total_w is None else total_w + w
        total_wy = w * m if total_wy is None else total_wy + w * m
    if total_w is None:
        raise ValueError("nothing to fuse: no observations given")
    means = np.divide(total_wy, total_w, out=np.zeros_like(total_wy), where=total_w > 0)
    return whittaker(total_w, means, smoothness, order, with_std)


__all__ = ["DEFAULT_STEP_DAYS", "difference_penalty", "fuse", "place_on_steps", "regular_steps", "whittaker"]
