"""Scene tables name files as the user's folders are given: relative paths stay relative, so a moved
working directory still finds its products; the relative orbits to use are chosen when a table is read."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pytest

from sar2ndvi.demo import DemoSpec, build_demo_store
from sar2ndvi.sources.optical_folders import list_planet, list_sentinel2
from sar2ndvi.sources.sentinel1 import keep_relative_orbits, search_catalog, search_folder

TWO_TRACKS = {
    "study": {"start": "2017-07-01", "end": "2017-07-14"},
    "areas": {
        "pretrain": {"west": 138.482, "south": 36.536, "east": 138.495, "north": 36.546},
        "test": {"west": 138.483, "south": 36.538, "east": 138.493, "north": 36.544},
    },
    "demo": {"seed": 11, "planet_dates": 2, "margin_m": 300},
}
BOX = (138.482, 36.536, 138.495, 36.546)


@pytest.fixture(scope="module")
def workdir(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("workdir")
    build_demo_store(DemoSpec.from_config(TWO_TRACKS), root / "resources" / "demo")
    return root


@pytest.fixture
def inside(workdir, monkeypatch):
    monkeypatch.chdir(workdir)
    return workdir


def test_the_demo_catalogue_lists_products_relative_to_a_relative_folder(inside):
    table = search_catalog("resources/demo/sentinel1/catalog.json", "2017-07-01", "2017-07-14", "DESCENDING", BOX)
    assert len(table) >= 2
    for url in table["url"]:
        assert url.startswith("resources/demo/sentinel1/S1") and not os.path.isabs(url)
        assert Path(url).is_file()


def test_a_local_folder_lists_products_as_the_folder_is_written(inside):
    relative = search_folder("resources/demo/sentinel1", "2017-07-01", "2017-07-14", "DESCENDING", BOX)
    absolute = search_folder(inside / "resources/demo/sentinel1", "2017-07-01", "2017-07-14", "DESCENDING", BOX)
    assert list(relative["scene"]) == list(absolute["scene"])
    assert all(not os.path.isabs(url) for url in relative["url"])
    assert all(url.startswith(str(inside)) for url in absolute["url"])


def test_optical_folders_list_images_as_the_folder_is_written(inside):
    for table in (
        list_sentinel2("resources/demo/sentinel2", "2017-07-01", "2017-07-14"),
        list_planet("resources/demo/planet", "2017-07-01", "2017-07-14"),
    ):
        assert len(table) > 0
        assert all(not os.path.isabs(p) and Path(p).is_file() for p in table["path"])
        assert all(not os.path.isabs(p) for p in table["mask_path"] if p)


def test_choosing_relative_orbits_keeps_their_scenes_in_time_order():
    table = pd.DataFrame(
        {"scene": ["a", "b", "c", "d"], "start": ["1", "2", "3", "4"], "relative_orbit": [46, 119, 46, 119]}
    )
    assert list(keep_relative_orbits(table, [46])["scene"]) == ["a", "c"]
    assert list(keep_relative_orbits(table, [46, 119])["scene"]) == ["a", "b", "c", "d"]
    assert list(keep_relative_orbits(table, [])["scene"]) == ["a", "b", "c", "d"]
    assert keep_relative_orbits(table, [12]).empty
