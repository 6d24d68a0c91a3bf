"""Within- and between-field NDVI variability, and the demo world's fields measured against a real farmland's."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date

import numpy as np
import pytest

from sar2ndvi.demo.optical import clear_sky_l1c_ndvi
from sar2ndvi.demo.world import CROP, DemoSpec, WithinField, World
from sar2ndvi.fieldstats import (
    arable_fields,
    cross_fitted_variability,
    delineate_fields,
    growing_season_dates,
    shrink_fields,
    variance_partition,
)

#: Within-field NDVI standard deviation of the real Slovenian patch's fields (2017, May–October, clear
#: Sentinel-2 L1C dates), over the delineations of benchmarks/within_field_variability.py: 0.041–0.063.
REAL_WITHIN_STD = (0.040, 0.065)

TINY_AREAS = {
    "pretrain": {"west": 138.470, "south": 36.505, "east": 138.500, "north": 36.540},
    "test": {"west": 138.483, "south": 36.538, "east": 138.493, "north": 36.544},
}


def _blocks(rng: np.random.Generator, means: list[float], within: float, size: int = 20) -> tuple[np.ndarray, ...]:
    """A row of square fields with the given means and i.i.d. within-field noise; labels 1…n."""
    labels = np.repeat(np.arange(1, len(means) + 1), size)[None, :].repeat(size, 0)
    ndvi = np.asarray(means)[labels - 1] + rng.normal(0, within, labels.shape)
    return ndvi, labels


def test_within_plus_between_is_the_variance_of_the_field_pixels_and_within_is_the_field_mean_oracles_mse():
    rng = np.random.default_rng(1)
    ndvi, labels = _blocks(rng, [0.2, 0.5, 0.8], 0.05)
    labels[:, :5] = 0  # outside fields
    ndvi[0, 30] = np.nan  # a missing pixel is left out
    part = variance_partition(ndvi, labels)
    inside = (labels > 0) & np.isfinite(ndvi)
    assert part.within + part.between == pytest.approx(np.var(ndvi[inside]), rel=1e-12)
    field_means = {k: ndvi[inside & (labels == k)].mean() for k in (1, 2, 3)}
    oracle = np.array([field_means[k] for k in labels[inside]])
    assert part.within == pytest.approx(np.mean((ndvi[inside] - oracle) ** 2), rel=1e-12)
    assert part.fields == 3 and part.pixels == inside.sum()
    assert part.within_share == pytest.approx(part.within / np.var(ndvi[inside]))


def test_uniform_fields_have_no_within_field_variance():
    ndvi, labels = _blocks(np.random.default_rng(2), [0.3, 0.6], 0.0)
    part = variance_partition(ndvi, labels)
    assert part.within == pytest.approx(0.0, abs=1e-15) and part.between > 0.02


def test_shrinking_drops_exactly_the_pixels_that_touch_another_field():
    labels = np.zeros((6, 8), int)
    labels[:, :4], labels[:, 4:] = 1, 2
    shrunk = shrink_fields(labels)
    assert (shrunk[:, 3] == 0).all() and (shrunk[:, 4] == 0).all()
    assert (shrunk[1:-1, 1:3] == 1).all() and (shrunk[1:-1, 5:7] == 2).all()


def test_fields_drawn_on_half_the_dates_recover_the_true_within_field_spread():
    rng = np.random.default_rng(3)
    rows, cols, size = 4, 5, 16
    truth = np.kron(np.arange(rows * cols).reshape(rows, cols) + 1, np.ones((size, size), int))
    phase = rng.uniform(0, 1, rows * cols + 1)
    mean_of_field = [0.2 + 0.6 * phase[truth] * (t / 9) + 0.1 * np.sin(t + 7 * phase[truth]) for t in range(10)]
    stack = np.stack([mean + rng.normal(0, 0.03, truth.shape) for mean in mean_of_field])
    measured = cross_fitted_variability(stack, scale=200, min_pixels=50, bare_below=None)
    assert measured.within_std == pytest.approx(0.03, rel=0.25)
    known = cross_fitted_variability(stack, scale=0, min_pixels=50, bare_below=None, fields=shrink_fields(truth))
    assert known.within_std == pytest.approx(0.03, rel=0.05)
    assert delineate_fields(stack, scale=200, min_pixels=50).max() >= rows * cols // 2


def test_only_fields_seen_bare_in_the_season_count_as_arable():
    labels = np.array([[1, 1, 2, 2]])
    stack = np.array([[[0.8, 0.8, 0.2, 0.25]], [[0.85, 0.85, 0.7, 0.7]]])
    assert arable_fields(labels, stack, 0.5).tolist() == [[0, 0, 2, 2]]


def test_growing_season_dates_are_chosen_by_month():
    assert growing_season_dates(["2017-04-30", "2017-05-01", "2017-10-31", "2017-11-01"], (5, 10)) == [1, 2]


def test_the_real_farmlands_fields_vary_inside_as_documented(real_data):
    folder = real_data / "s2_ndvi_timeseries_eolearn" / "TestEOPatch"
    ndvi = np.load(folder / "data" / "NDVI.npy")[..., 0]
    cloud = np.load(folder / "mask" / "CLM.npy")[..., 0]
    dates = [t[:10] for t in json.loads((folder / "timestamps.json").read_text())]
    keep = [i for i in growing_season_dates(dates, (5, 10)) if dates[i][:4] == "2017" and cloud[i].mean() < 0.01]
    assert len(keep) == 11
    for scale in (40, 80, 160):
        measured = cross_fitted_variability(ndvi[keep], scale=scale, min_pixels=25, bare_below=0.5)
        assert REAL_WITHIN_STD[0] <= measured.within_std <= REAL_WITHIN_STD[1], scale


def _demo_within_std(within: WithinField) -> float:
    """Within-field NDVI spread of the demo's cabbage parcels as Sentinel-2 L1C sees them on clear days."""
    spec = replace(DemoSpec(areas=TINY_AREAS), within_field=within)
    world = World(spec)
    grid = world.area_grids["pretrain"]
    index = world.parcel_index(grid)
    rng = np.random.default_rng(0)
    days = [date(2017, 5, 7) + np.timedelta64(15 * k, "D").astype(object) for k in range(12)]
    stack = [clear_sky_l1c_ndvi(world, day, grid, index, rng) for day in days]
    parcels = shrink_fields(np.where(np.r_[False, world.kinds == CROP][index], index, 0))
    return cross_fitted_variability(np.stack(stack), scale=0, min_pixels=25, bare_below=None, fields=parcels).within_std


def test_the_demos_fields_vary_inside_as_much_as_a_real_farmlands():
    assert REAL_WITHIN_STD[0] <= _demo_within_std(WithinField()) <= REAL_WITHIN_STD[1]
    # the world before the structure: nearly uniform parcels, half the real spread
    assert _demo_within_std(WithinField(0.0, 0.0, 0.0)) < 0.7 * REAL_WITHIN_STD[0]


def test_uniform_fields_follow_their_parcels_phenology_plus_the_fixed_texture():
    world = World(replace(DemoSpec(areas=TINY_AREAS), within_field=WithinField(0.0, 0.0, 0.0)))
    grid = world.area_grids["test"]
    index = world.parcel_index(grid)
    day = date(2017, 7, 1)
    texture = (0.025 * world._texture(*grid.pixel_centres())).astype(np.float32)
    expected = np.r_[0.12, world.parcel_ndvi(day)].astype(np.float32)[index] + np.where(index > 0, texture, 0.0)
    np.testing.assert_array_equal(world.ndvi(day, grid, index), np.clip(expected, -0.1, 0.95).astype(np.float32))


def test_a_later_transplanted_part_of_a_field_greens_up_later():
    world = World(DemoSpec(areas=TINY_AREAS))
    crop = np.array(world.crop_polygons)
    plant = world.crop["plant1"][crop]
    day = date(2017, 1, 1) + np.timedelta64(int(np.median(plant)) + 29, "D").astype(object)
    early = world.cabbage_ndvi(day, crop, shift=-3.0)
    late = world.cabbage_ndvi(day, crop, shift=3.0)
    greening = (day.timetuple().tm_yday > plant + 3) & (day.timetuple().tm_yday < world.crop["harvest1"][crop] - 3)
    assert greening.sum() > 5 and (early[greening] > late[greening]).all()
