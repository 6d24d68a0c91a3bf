"""Pairing S1 scenes with NDVI dates, and building masked samples from them."""

import numpy as np
import pandas as pd
import pytest

from sar2ndvi.dataset import build_samples, exclusion_mask, load_samples, save_samples, tile_origins
from sar2ndvi.grid import AreaGrid
from sar2ndvi.io import write_raster
from sar2ndvi.pairing import pair_scenes

STUDY = AreaGrid("pretrain", "EPSG:32654", 10.0, 276000.0, 4046000.0, 40, 30)
AREA = AreaGrid("train", "EPSG:32654", 10.0, 276100.0, 4045900.0, 12, 10)


def test_each_scene_pairs_with_the_nearest_ndvi_date_within_tolerance():
    scenes = pd.DataFrame(
        {
            "scene": ["a", "b", "c"],
            "start": ["2017-06-01T20:45:00", "2017-06-07T20:45:00", "2017-07-01T20:45:00"],
        }
    )
    pairs = pair_scenes(scenes, ["20170602", "20170609", "20170610"], max_days=3)
    assert list(pairs["scene"]) == ["a", "b"]
    assert list(pairs["ndvi_date"]) == ["20170602", "20170609"]
    assert list(pairs["gap_days"]) == [1, 2]


def test_tiles_cover_the_image_with_the_last_one_flush():
    assert tile_origins(249, 96, 80) == [0, 80, 153]
    assert tile_origins(50, 96, 80) == [0]


def test_exclusion_mask_covers_the_excluded_area_and_its_buffer():
    mask = exclusion_mask(STUDY, [AREA], buffer_px=2)
    row, col, rows, cols = STUDY.window_of(AREA)
    assert mask[row - 2 : row + rows + 2, col - 2 : col + cols + 2].all()
    assert mask.sum() == (rows + 4) * (cols + 4)


@pytest.fixture
def pair_files(tmp_path):
    rng = np.random.default_rng(1)
    x = rng.normal(size=(10, *STUDY.shape)).astype(np.float32)
    y = rng.uniform(0, 1, STUDY.shape).astype(np.float32)
    y[0, :] = np.nan
    write_raster(tmp_path / "x.tif", x, STUDY)
    write_raster(tmp_path / "y.tif", y, STUDY)
    return tmp_path / "x.tif", tmp_path / "y.tif", x, y


def test_area_samples_are_windows_of_the_study_grid_masked_to_farms(pair_files):
    x_path, y_path, x, y = pair_files
    parcels = np.zeros(STUDY.shape, np.int32)
    parcels[10:20, 12:18] = 7
    samples = build_samples([x_path], [y_path], parcels, STUDY, AREA)
    row, col, rows, cols = STUDY.window_of(AREA)
    np.testing.assert_array_equal(samples["x"][0], x[:, row : row + rows, col : col + cols])
    expected_mask = (parcels[row : row + rows, col : col + cols] > 0) & np.isfinite(
        y[row : row + rows, col : col + cols]
    )
    np.testing.assert_array_equal(samples["mask"][0, 0], expected_mask)


def test_target_transform_and_channel_selection_are_applied(pair_files):
    x_path, y_path, _, y = pair_files
    parcels = np.ones(STUDY.shape, np.int32)
    samples = build_samples(
        [x_path], [y_path], parcels, STUDY, STUDY, target_transform=lambda v: 2 * v, channels=[0, 3]
    )
    assert samples["x"].shape[1] == 2
    np.testing.assert_allclose(samples["y"][0, 0], 2 * y, equal_nan=True)


def test_tiles_without_enough_farm_pixels_are_dropped(pair_files):
    x_path, y_path, _, _ = pair_files
    parcels = np.zeros(STUDY.shape, np.int32)
    parcels[:, :8] = 1
    samples = build_samples([x_path], [y_path], parcels, STUDY, STUDY, tile=16, stride=16, min_valid_fraction=0.2)
    # tiles start at columns 0, 16, 24: only the first holds farm pixels (8 of 16 columns)
    assert len(samples["x"]) == len(tile_origins(30, 16, 16))
    assert all(m.mean() >= 0.2 for m in samples["mask"])


def test_no_valid_farm_pixel_is_a_clear_error(pair_files):
    x_path, y_path, _, _ = pair_files
    with pytest.raises(ValueError, match="none of the 1 pairs"):
        build_samples([x_path], [y_path], np.zeros(STUDY.shape, np.int32), STUDY, AREA)


def _second_pair(tmp_path, pair_files):
    x_path, y_path, x, _ = pair_files
    write_raster(tmp_path / "x2.tif", x[::-1].copy(), STUDY)
    return [x_path, tmp_path / "x2.tif"], [y_path, y_path]


def test_tiles_saved_by_reference_load_as_the_tiles_themselves(tmp_path, pair_files):
    x_paths, y_paths = _second_pair(tmp_path, pair_files)
    parcels = np.ones(STUDY.shape, np.int32)
    static = np.stack([np.arange(STUDY.width * STUDY.height, dtype=np.float32).reshape(STUDY.shape)] * 2)
    settings = dict(tile=16, stride=12, min_valid_fraction=0.2, static=static, channels=[0, 2, 5])
    inline = build_samples(x_paths, y_paths, parcels, STUDY, STUDY, **settings)
    referenced = build_samples(x_paths, y_paths, parcels, STUDY, STUDY, sar_by_reference=True, **settings)
    assert "x" not in referenced
    names = np.array(["a", "b", "c", "height", "farm"])
    save_samples(tmp_path / "inline.npz", inline, channel_names=names)
    save_samples(tmp_path / "referenced.npz", referenced, channel_names=names)
    # the referenced file holds no SAR value: it is a fraction of the inline one
    assert (tmp_path / "referenced.npz").stat().st_size < (tmp_path / "inline.npz").stat().st_size / 4
    for channels in (None, ["farm", "c", "a"]):
        expected = load_samples(tmp_path / "inline.npz", channels)
        loaded = load_samples(tmp_path / "referenced.npz", channels)
        for key in ("x", "mask", "pair_index"):
            np.testing.assert_array_equal(loaded[key], expected[key])
        on_mask = expected["mask"] > 0
        np.testing.assert_array_equal(loaded["y"][on_mask], expected["y"][on_mask])
        assert np.isnan(loaded["y"][~on_mask]).all(), "targets off the mask are left out"
    assert loaded["x"].shape[1] == 3


def test_a_dataset_whose_index_raster_changed_or_vanished_says_to_rebuild_it(tmp_path, pair_files):
    x_paths, y_paths = _second_pair(tmp_path, pair_files)
    samples = build_samples(
        x_paths, y_paths, np.ones(STUDY.shape, np.int32), STUDY, STUDY, tile=16, stride=16, sar_by_reference=True
    )
    save_samples(tmp_path / "pretrain.npz", samples, channel_names=np.array([f"c{k}" for k in range(10)]))
    write_raster(x_paths[1], np.zeros((10, *STUDY.shape), np.float32), STUDY)
    with pytest.raises(ValueError, match=r"pretrain\.npz: its SAR channels are read from .*x2\.tif, which has changed"):
        load_samples(tmp_path / "pretrain.npz")
    x_paths[1].unlink()
    with pytest.raises(ValueError, match=r"x2\.tif, which is missing; rebuild the dataset"):
        load_samples(tmp_path / "pretrain.npz")
