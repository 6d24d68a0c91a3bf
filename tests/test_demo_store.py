"""The demo store: a tiny world builds in seconds, deterministically, in the documented layout."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest

from sar2ndvi.demo import DemoSpec, build_demo_store
from sar2ndvi.demo.__main__ import main

TINY = {
    "study": {"crs": "EPSG:32654", "resolution": 10, "start": "2017-07-01", "end": "2017-07-20"},
    "areas": {
        "pretrain": {"west": 138.482, "south": 36.536, "east": 138.495, "north": 36.546},
        "test": {"west": 138.483, "south": 36.538, "east": 138.493, "north": 36.544},
    },
    "demo": {
        "seed": 5,
        "s1_tracks": [{"relative_orbit": 46, "platform_incidence_deg": 38.0}],
        "s1_max_scenes": 2,
        "s2_revisit_days": 5,
        "s2_max_dates": 3,
        "s2_cloudy_fraction": 0.5,
        "planet_dates": 3,
        "margin_m": 300,
    },
}


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="session")
def tiny_store(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("demo_tiny")
    build_demo_store(DemoSpec.from_config(TINY), out)
    return out


def test_the_store_has_the_documented_layout(tiny_store):
    s1 = json.loads((tiny_store / "sentinel1/catalog.json").read_text())
    assert len(s1) == 2
    assert all((tiny_store / "sentinel1" / r["url"]).is_file() for r in s1)
    s2 = json.loads((tiny_store / "sentinel2/catalog.json").read_text())
    assert len(s2) == 3 and all((tiny_store / "sentinel2" / r["path"]).is_file() for r in s2)
    assert len(list((tiny_store / "planet").glob("*_3B_AnalyticMS_SR.tif"))) == 3
    assert len(list((tiny_store / "planet").glob("*_3B_udm2.tif"))) == 3
    assert len(list((tiny_store / "planet").glob("*_metadata.json"))) == 3
    for rel in ("maff/fude_104434_2017.geojson", "dem/dem.tif", "truth/parcels.geojson", "README.md"):
        assert (tiny_store / rel).is_file()
    assert "synthetic" in (tiny_store / "README.md").read_text() and "seed 5" in (tiny_store / "README.md").read_text()
    assert not list(tiny_store.rglob(".*")), "no temporary files are left behind"


def test_same_seed_same_files_other_seed_other_files(tiny_store, tmp_path):
    again = tmp_path / "again"
    build_demo_store(DemoSpec.from_config(TINY), again)
    catalog = json.loads((tiny_store / "sentinel1/catalog.json").read_text())
    for rel in ("sentinel1/catalog.json", "sentinel2/catalog.json", "maff/fude_104434_2017.geojson"):
        assert _digest(tiny_store / rel) == _digest(again / rel)
    first = f"sentinel1/{catalog[0]['fileName']}"
    assert _digest(tiny_store / first) == _digest(again / first)

    other = tmp_path / "other"
    build_demo_store(DemoSpec.from_config(dict(TINY, demo=dict(TINY["demo"], seed=6))), other)
    for rel in ("sentinel1/catalog.json", "maff/fude_104434_2017.geojson"):
        assert _digest(tiny_store / rel) != _digest(other / rel)


def test_the_command_line_reads_a_yaml_config(tmp_path):
    import yaml

    config = dict(TINY, demo=dict(TINY["demo"], s1_tracks=[], s1_max_scenes=1, s2_max_dates=1, planet_dates=1))
    config["demo"]["s1_tracks"] = [{"relative_orbit": 119, "platform_incidence_deg": 42.0}]
    config["unrelated"] = {"key": 1}
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(config))
    assert main(["--config", str(path), "--out", str(tmp_path / "store")]) == 0
    records = json.loads((tmp_path / "store/sentinel1/catalog.json").read_text())
    assert [r["pathNumber"] for r in records] == [119]


def test_spec_defaults_match_the_study():
    spec = DemoSpec.from_config({"areas": TINY["areas"], "demo": None})
    assert spec.seed == 2017 and spec.tracks == ((46, 35.0), (119, 42.0))
    assert (spec.start, spec.end, spec.s1_repeat_days, spec.planet_dates) == ("2017-05-01", "2017-11-30", 12, 42)


def test_a_truncated_zip_in_a_local_folder_is_skipped_with_a_word_and_the_others_are_listed(tiny_store, tmp_path):
    import pandas as pd

    from sar2ndvi.steps.sentinel1 import search

    folder = tmp_path / "s1"
    shutil.copytree(tiny_store / "sentinel1", folder)
    good, bad = sorted(folder.glob("*.zip"))
    bad.write_bytes(bad.read_bytes()[: bad.stat().st_size // 2])
    box = tuple(TINY["areas"]["pretrain"][k] for k in ("west", "south", "east", "north"))
    start, end = TINY["study"]["start"], TINY["study"]["end"]
    search("local", folder, start, end, "DESCENDING", box, tmp_path / "scenes.csv", tmp_path / "skipped.csv")
    assert list(pd.read_csv(tmp_path / "scenes.csv")["scene"]) == [good.stem]
    skipped = pd.read_csv(tmp_path / "skipped.csv")
    assert list(skipped["scene"]) == [bad.stem]
    assert "not a zip file" in skipped.loc[0, "reason"] and "download it again" in skipped.loc[0, "reason"]


def test_products_that_miss_the_study_area_are_listed_as_skipped_and_the_search_says_none_is_left(tiny_store, tmp_path):
    import pandas as pd

    from sar2ndvi.steps.sentinel1 import search

    start, end = TINY["study"]["start"], TINY["study"]["end"]
    elsewhere = (139.5, 35.5, 139.6, 35.6)
    with pytest.raises(ValueError, match="no DESCENDING Sentinel-1 IW GRD scene"):
        search(
            "demo",
            tiny_store / "sentinel1",
            start,
            end,
            "DESCENDING",
            elsewhere,
            tmp_path / "s.csv",
            tmp_path / "k.csv",
        )
    skipped = pd.read_csv(tmp_path / "k.csv")
    assert len(skipped) == 2 and skipped["reason"].str.contains("does not cover the study area").all()
    assert not (tmp_path / "s.csv").exists()
