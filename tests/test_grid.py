"""Area grids: snapped, covering, shared by every raster of an area."""

import pytest
from pyproj import Transformer

from sar2ndvi.grid import AreaGrid, grid_from_lonlat_box

TEST_BOX = {"west": 138.483, "south": 36.538, "east": 138.493, "north": 36.544}  # Kimura et al. Table 2


def test_grid_origin_is_snapped_to_the_pixel_size():
    grid = grid_from_lonlat_box("test", **TEST_BOX)
    assert grid.x_min % 10 == 0 and grid.y_max % 10 == 0
    assert grid.crs == "EPSG:32654" and grid.resolution == 10


def test_grid_covers_the_whole_lonlat_box():
    grid = grid_from_lonlat_box("test", **TEST_BOX)
    to_utm = Transformer.from_crs("EPSG:4326", "EPSG:32654", always_xy=True)
    west, south, east, north = grid.bounds
    for lon in (TEST_BOX["west"], TEST_BOX["east"]):
        for lat in (TEST_BOX["south"], TEST_BOX["north"]):
            x, y = to_utm.transform(lon, lat)
            assert west <= x <= east and south <= y <= north


def test_test_area_is_about_a_kilometre_wide():
    grid = grid_from_lonlat_box("test", **TEST_BOX)
    # 0.010° of longitude at 36.5° N ≈ 895 m, 0.006° of latitude ≈ 666 m; 2.5° west of the zone's
    # central meridian the box is turned by ~1.5° in UTM, which widens its bounds slightly
    assert 90 <= grid.width <= 94 and 67 <= grid.height <= 71


def test_grids_of_nested_areas_are_aligned_and_windowed():
    outer = grid_from_lonlat_box("pretrain", 138.455, 36.495, 138.525, 36.560)
    inner = grid_from_lonlat_box("test", **TEST_BOX)
    row, col, rows, cols = outer.window_of(inner)
    assert (rows, cols) == inner.shape
    assert outer.x_min + col * 10 == inner.x_min and outer.y_max - row * 10 == inner.y_max


def test_window_of_a_grid_outside_is_refused():
    small = grid_from_lonlat_box("test", **TEST_BOX)
    big = grid_from_lonlat_box("pretrain", 138.455, 36.495, 138.525, 36.560)
    with pytest.raises(ValueError, match="does not lie inside"):
        small.window_of(big)


def test_inverted_box_gets_a_clear_error():
    with pytest.raises(ValueError, match="west < east"):
        grid_from_lonlat_box("bad", west=138.5, south=36.5, east=138.4, north=36.6)


def test_grid_round_trips_through_json(tmp_path):
    grid = grid_from_lonlat_box("test", **TEST_BOX)
    path = tmp_path / "grid.json"
    path.write_text(grid.to_json())
    assert AreaGrid.read(path) == grid
    xs, ys = grid.pixel_centres()
    assert xs[0, 0] == grid.x_min + 5 and ys[0, 0] == grid.y_max - 5
