"""The weighted Whittaker smoother that fuses radar predictions with clear optical dates."""

from __future__ import annotations

import numpy as np
import pytest

from sar2ndvi.fusion import (
    RadarBias,
    days_to_nearest,
    difference_penalty,
    factor_by_distance,
    field_statistics,
    fuse,
    interval_coverage,
    leave_one_date_out,
    paired_rmse,
    place_on_steps,
    regular_steps,
    std_scale,
    whittaker,
    whittaker_with_bias,
)

STEPS = regular_steps(np.datetime64("2017-05-01"), np.datetime64("2017-05-30"), 1)


def test_regular_steps_include_both_ends():
    steps = regular_steps(np.datetime64("2017-05-01"), np.datetime64("2017-05-11"), 5)
    assert list(steps.astype(str)) == ["2017-05-01", "2017-05-06", "2017-05-11"]


def test_the_penalty_is_the_squared_second_differences():
    d = np.diff(np.eye(6), n=2, axis=0)
    full = d.T @ d
    bands = difference_penalty(6, 2)
    for k in range(3):
        np.testing.assert_array_equal(bands[2 - k, k:], np.diagonal(full, offset=k))


def test_observations_on_one_step_combine_by_inverse_variance_and_outside_ones_are_left_out():
    times = np.array(["2017-05-03T01:00", "2017-05-03T08:00", "2017-07-01T00:00"], "datetime64[s]")
    values = np.array([[0.2, 0.5, 0.9]])
    sigmas = np.array([0.1, 0.05, 0.1])
    weights, means = place_on_steps(times, values, sigmas, STEPS)
    assert weights[0, 2] == pytest.approx(1 / 0.01 + 1 / 0.0025)
    assert means[0, 2] == pytest.approx((0.2 / 0.01 + 0.5 / 0.0025) / (1 / 0.01 + 1 / 0.0025))
    assert weights.sum() == pytest.approx(weights[0, 2]), "July is outside the steps"


def test_precise_observations_everywhere_are_reproduced():
    truth = np.sin(np.linspace(0, 3, len(STEPS)))[np.newaxis]
    fused, std = whittaker(np.full(truth.shape, 1e8), truth, smoothness=1.0)
    np.testing.assert_allclose(fused, truth, atol=1e-6)
    assert (std < 1e-3).all()


def test_a_stiff_smoother_fits_the_weighted_straight_line():
    rng = np.random.default_rng(0)
    x = np.arange(len(STEPS), dtype=float)
    y = 0.3 + 0.01 * x + rng.normal(0, 0.05, x.size)
    w = rng.uniform(1, 10, x.size)
    fused, _ = whittaker(w[np.newaxis], y[np.newaxis], smoothness=1e9)
    slope, intercept = np.polyfit(x, y, 1, w=np.sqrt(w))
    np.testing.assert_allclose(fused[0], intercept + slope * x, atol=1e-4)


def test_the_standard_deviation_is_the_posterior_one_and_widens_in_gaps():
    weights = np.zeros((1, len(STEPS)))
    weights[0, [0, 5, 25, 29]] = 1 / 0.05**2
    means = np.full(weights.shape, 0.5)
    fused, std = whittaker(weights, means, smoothness=100.0)
    bands = 100.0 * difference_penalty(len(STEPS))
    full = np.diag(weights[0]) + np.diag(bands[2])
    for k in (1, 2):
        full += np.diag(bands[2 - k, k:], k) + np.diag(bands[2 - k, k:], -k)
    np.testing.assert_allclose(std[0], np.sqrt(np.diag(np.linalg.inv(full))), rtol=1e-9)
    assert std[0, 15] > 2 * std[0, 5], "the middle of a 20-day gap is less certain than an observed day"
    np.testing.assert_allclose(fused[0], 0.5, atol=1e-9)


def test_a_series_with_too_few_observations_stays_empty():
    weights = np.zeros((2, len(STEPS)))
    weights[0, 4] = 1.0
    weights[1, [4, 9]] = 1.0
    fused, std = whittaker(weights, np.ones_like(weights), smoothness=10.0)
    assert np.isnan(fused[0]).all() and np.isnan(std[0]).all()
    assert np.isfinite(fused[1]).all()


def test_intervals_cover_the_truth_at_their_nominal_rate_when_the_model_holds():
    # truths drawn from the smoother's own prior (a second-order random walk with increments of
    # variance 1/λ), observed on random days with known noise: the posterior intervals are exact
    rng = np.random.default_rng(7)
    series, steps, smoothness = 400, len(STEPS), 400.0
    truth = 0.5 + np.cumsum(np.cumsum(rng.normal(0, smoothness**-0.5, (series, steps)), axis=1), axis=1)
    sigma = 0.05
    observed = rng.random((series, steps)) < 0.3
    times = STEPS.astype("datetime64[s]")
    values = np.where(observed, truth + rng.normal(0, sigma, truth.shape), np.nan)
    fused, std = fuse(STEPS, [(times, values, np.full(steps, sigma))], smoothness)
    z = np.abs(fused - truth) / std
    assert np.mean(z < 1.0) == pytest.approx(0.683, abs=0.02)
    assert np.mean(z < 1.96) == pytest.approx(0.95, abs=0.01)


def test_radar_fills_the_cloudy_weeks_between_optical_dates():
    rng = np.random.default_rng(3)
    days = np.arange(len(STEPS))
    truth = 0.2 + 0.6 / (1 + np.exp(-(days - 15) / 3))
    times = STEPS.astype("datetime64[s]")
    optical = np.full((1, len(STEPS)), np.nan)
    optical[0, [0, 29]] = truth[[0, 29]]
    radar = np.full((1, len(STEPS)), np.nan)
    radar[0, ::3] = truth[::3] + rng.normal(0, 0.08, radar[0, ::3].size)
    optical_only, _ = fuse(STEPS, [(times, optical, np.full(len(STEPS), 0.02))], 1e4)
    fused, _ = fuse(
        STEPS, [(times, optical, np.full(len(STEPS), 0.02)), (times, radar, np.full(len(STEPS), 0.08))], 1e4
    )
    error = np.mean((fused[0] - truth) ** 2)
    assert error < 0.5 * np.mean((optical_only[0] - truth) ** 2)
    assert error < 0.5 * np.nanmean((radar[0] - truth) ** 2), "better than the radar predictions themselves"


def test_field_statistics_are_the_mean_deviation_and_count_of_each_fields_valid_pixels():
    parcels = np.array([[1, 1, 0], [2, 2, 2]])
    images = np.array([[[0.2, 0.4, 9.0], [0.1, np.nan, 0.3]], [[np.nan, np.nan, 9.0], [0.5, 0.5, 0.5]]])
    ids, means, stds, counts = field_statistics(images, parcels)
    assert list(ids) == [1, 2]
    np.testing.assert_allclose(means, [[0.3, np.nan], [0.2, 0.5]])
    np.testing.assert_allclose(stds, [[0.1, np.nan], [0.1, 0.0]], atol=1e-12)
    np.testing.assert_array_equal(counts, [[2, 0], [2, 3]])


def test_paired_rmse_pairs_each_reference_date_with_the_nearest_observation_within_the_window():
    times = np.array(["2017-05-01T20:00", "2017-05-10T20:00"], "datetime64[s]")
    values = np.array([[0.5, 0.9], [0.4, np.nan]])
    reference_times = np.array(["2017-05-02", "2017-05-20"], "datetime64[s]")
    reference = np.array([[0.3, 0.0], [0.4, 0.0]])
    # 05-20 has no observation within 3 days; on 05-02 the errors are 0.2 and 0
    assert paired_rmse(times, values, reference_times, reference, 3) == pytest.approx(np.sqrt(0.04 / 2))
    with pytest.raises(ValueError, match="within 1 days"):
        paired_rmse(times[1:], values[:, 1:], reference_times[:1], reference[:, :1], 1)


def test_leaving_a_date_out_estimates_it_from_the_others_only():
    days = np.arange(len(STEPS))
    truth = (0.2 + 0.02 * days)[np.newaxis]
    times = STEPS.astype("datetime64[s]")
    hidden = truth.copy()
    hidden[0, 10] = 5.0  # an outlier on the hidden date cannot leak into its own estimate
    estimate, std, distance = leave_one_date_out(
        STEPS, (times, hidden, np.full(len(STEPS), 0.01)), [], 1e4, with_std=True
    )
    assert estimate[0, 10] == pytest.approx(truth[0, 10], abs=1e-3)
    assert np.isfinite(std).all() and (std > 0).all()
    np.testing.assert_array_equal(distance, 1.0), "the next date is a day away"


def test_a_calibrated_scale_makes_the_intervals_cover_their_nominal_share():
    rng = np.random.default_rng(1)
    errors = rng.normal(0, 0.1, 20_000)
    claimed = np.full(errors.shape, 0.05)  # twice too confident
    assert interval_coverage(errors, claimed, 1.0) == pytest.approx(0.383, abs=0.01)
    scale = std_scale(errors, claimed)
    assert scale == pytest.approx(2.0, rel=0.03)
    assert interval_coverage(errors, scale * claimed, 1.96) == pytest.approx(0.95, abs=0.01)


def test_a_gap_leaves_out_the_optical_dates_around_the_hidden_one_and_keeps_the_radar():
    times = STEPS.astype("datetime64[s]")
    days = np.arange(len(STEPS))
    hidden = np.full((1, len(STEPS)), 0.3)
    optical = np.where(np.abs(days - 15) <= 3, 0.9, 0.3)[np.newaxis]  # a bright spell around day 15
    radar = np.full((1, len(STEPS)), 0.3)
    others = [(times, optical, np.full(len(STEPS), 0.01)), (times, radar, np.full(len(STEPS), 0.1))]
    near, _, _ = leave_one_date_out(STEPS, (times, hidden, np.full(len(STEPS), 0.01)), others, 1e4)
    gapped, _, distance = leave_one_date_out(
        STEPS, (times, hidden, np.full(len(STEPS), 0.01)), others, 1e4, gap_days=5, gapped=[True, False]
    )
    assert near[0, 15] > 0.6, "the optical dates next to the hidden one carry it"
    assert gapped[0, 15] == pytest.approx(0.3, abs=1e-6), "with a 10-day gap only the far dates and the radar count"
    assert distance[0, 15] == 6.0


def test_distances_to_the_nearest_observation_and_the_factor_of_the_gap_they_reach():
    times = np.array(["2017-05-03", "2017-05-20"], "datetime64[s]")
    values = np.array([[0.5, 0.6], [np.nan, 0.6], [np.nan, np.nan]])
    distance = days_to_nearest(STEPS, [(times, values)])
    assert list(distance[0, [0, 2, 10, 19, 29]]) == [2, 0, 8, 0, 10]
    assert distance[1, 0] == 19 and np.isinf(distance[2]).all()
    factors = {"0": 1.0, "7": 1.5, "15": 2.0}
    np.testing.assert_array_equal(
        factor_by_distance(np.array([0, 3, 7, 14.9, 15, 40, np.inf]), factors), [1, 1, 1.5, 1.5, 2, 2, 2]
    )


def _dense_with_bias(wo, mo, wr, mr, smoothness, bias):
    steps = len(wo)
    d2, d1 = np.diff(np.eye(steps), n=2, axis=0), np.diff(np.eye(steps), n=1, axis=0)
    z, b = 2 * np.arange(steps), 2 * np.arange(steps) + 1
    a = np.zeros((2 * steps, 2 * steps))
    a[np.ix_(z, z)] = smoothness * d2.T @ d2 + np.diag(wo + wr)
    a[np.ix_(b, b)] = bias.smoothness * d1.T @ d1 + bias.shrinkage * np.eye(steps) + np.diag(wr)
    a[z, b] = a[b, z] = wr
    rhs = np.zeros(2 * steps)
    rhs[z], rhs[b] = wo * mo + wr * mr, wr * mr
    return np.linalg.solve(a, rhs)[z], np.sqrt(np.diag(np.linalg.inv(a))[z])


def test_the_radar_bias_model_is_the_interleaved_normal_equations_solved_banded():
    rng = np.random.default_rng(5)
    steps = len(STEPS)
    wo = np.where(rng.random(steps) < 0.2, 1 / 0.02**2, 0.0)
    wr = np.where(rng.random(steps) < 0.4, 1 / 0.1**2, 0.0)
    mo, mr = rng.uniform(0.2, 0.8, steps), rng.uniform(0.2, 0.8, steps)
    bias = RadarBias(smoothness=1e3, shrinkage=10.0)
    fused, std = whittaker_with_bias(wo, mo, wr, mr, 3e3, bias)
    expected, expected_std = _dense_with_bias(wo, mo, wr, mr, 3e3, bias)
    np.testing.assert_allclose(fused[0], expected, atol=1e-9)
    np.testing.assert_allclose(std[0], expected_std, rtol=1e-8)
    _, one = whittaker_with_bias(wo, mo, wr, mr, 3e3, bias, std_step=7)
    assert one[0, 7] == pytest.approx(expected_std[7]) and np.isnan(one[0, 6])


def test_a_radar_offset_learnt_on_the_optical_dates_is_removed_in_the_gap_between_them():
    days = np.arange(len(STEPS))
    truth = 0.3 + 0.4 * np.sin(days / 9.0) ** 2
    times = STEPS.astype("datetime64[s]")
    optical = np.where((days < 6) | (days > 24), truth, np.nan)[np.newaxis]
    radar = (truth + 0.1)[np.newaxis]  # a model that reads this field 0.1 too high
    kinds = [(times, optical, np.full(len(STEPS), 0.02)), (times, radar, np.full(len(STEPS), 0.1))]
    plain, _ = fuse(STEPS, kinds, 3e3)
    corrected, _ = fuse(STEPS, kinds, 3e3, biased=[False, True], bias=RadarBias(1e4, 1.0))
    gap = (days >= 10) & (days <= 20)
    assert np.abs(plain[0, gap] - truth[gap]).mean() > 0.05
    assert np.abs(corrected[0, gap] - truth[gap]).mean() < 0.02


def test_a_fields_ensemble_spread_is_the_mean_of_its_pixels_member_spread_at_each_acquisition(tmp_path):
    from sar2ndvi.grid import AreaGrid
    from sar2ndvi.io import raster_bands
    from sar2ndvi.steps.fusion import ensemble_spread

    area = AreaGrid("test", "EPSG:32654", 10.0, 300000.0, 4000000.0, 3, 2)
    times = ["2017-05-03T20:45:10+00:00", "2017-05-15T20:45:11+00:00"]
    # the ensemble lacks the second acquisition: its spread is unknown there
    names = [f"{times[0]} mean", f"{times[0]} std"]
    std = np.array([[0.01, 0.03, 0.5], [0.02, 0.02, 0.04]], np.float32)
    with raster_bands(tmp_path / "ensemble.tif", area, 2, names, cog=False) as put:
        put(0, np.stack([np.full((2, 3), 0.5, np.float32), std]))
    parcels = np.array([[1, 1, 0], [2, 2, 2]])
    acquired = np.array([np.datetime64(t[:19], "s") for t in times])
    spread = ensemble_spread(tmp_path / "ensemble.tif", acquired, area, parcels)
    np.testing.assert_allclose(spread[:, 0], [0.02, (0.02 + 0.02 + 0.04) / 3], rtol=1e-6)
    assert np.isnan(spread[:, 1]).all()


@pytest.mark.parametrize("spread", [False, True])
def test_the_per_field_table_reads_the_ensemble_only_when_its_spread_is_asked_for(repo, tmp_path, spread):
    import subprocess
    import sys

    (tmp_path / "spread.yaml").write_text(f"fusion: {{ensemble_spread: {str(spread).lower()}}}\n")
    result = subprocess.run(
        [sys.executable, "-m", "snakemake", "--snakefile", str(repo / "Snakefile"), "--directory", str(tmp_path),
         f"--configfile={tmp_path / 'spread.yaml'}", "--dry-run", "--cores", "1", "--", "results/fields_test.parquet"],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert ("predict_ensemble" in result.stdout) is spread
