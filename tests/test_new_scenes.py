"""New scenes cost only their own jobs: the README's "search again" command on a finished run.

The archives are folders (the ``local`` sources) or ASF itself (asf-search answered by recorded
CMR and datapool responses, see recorded_asf.py), filled from the small demo world with a few
files held back; the tests then add them, as when new acquisitions are published:

- two Sentinel-1 scenes at the end of the period, with no Sentinel-2 or Planet image within the
  pairing window (so that they pair with no training image);
- one Planet date in the middle of the season, which pairs with training scenes.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
from recorded_asf import read_requests_log, recorded_asf_environment, write_recorded_asf_archive
from workflow_cli import (
    FAKE_SECRETS,
    FINAL_TARGETS,
    SEARCH_AGAIN,
    SEARCHES,
    Job,
    copy_run,
    job_set,
    listing,
    run_snakemake,
    scene_jobs,
    write_config,
)

from sar2ndvi.pairing import pair_scenes
from sar2ndvi.variants import ModelVariant

pytestmark = pytest.mark.slow

PREDICTION = {Job("predict", "area=test"), Job("evaluate")}
MAIN = ModelVariant().name
NEW_SCENES = 2
LAST_OPTICAL_DAY = "20170808"  # the new scenes (12 and 15 August) have no optical image within ±3 days
HELD_BACK_PLANET_DAY = "20170706"


def demo_scenes(run: Path) -> list[str]:
    return list(pd.read_csv(run / "results/s1/scenes.csv")["scene"])


def fill_archives(run: Path) -> dict[str, list[Path]]:
    """Folders ``archive/{sentinel1,sentinel2,planet}`` of the demo world's files, with the held-back ones apart."""
    store = run / "resources" / "demo"
    held_back: dict[str, list[Path]] = {"sentinel1": [], "planet": []}
    scenes = demo_scenes(run)
    for kind, pattern in (("sentinel1", "*.zip"), ("sentinel2", "*.tif"), ("planet", "*")):
        target = run / "archive" / kind
        target.mkdir(parents=True)
        for path in sorted((store / kind).glob(pattern)):
            if kind == "sentinel1":
                late = path.stem in scenes[-NEW_SCENES:]
                (held_back["sentinel1"].append(path) if late else shutil.copy2(path, target))
            elif path.name[:8] <= LAST_OPTICAL_DAY:
                if kind == "planet" and path.name.startswith(HELD_BACK_PLANET_DAY):
                    held_back["planet"].append(path)
                else:
                    shutil.copy2(path, target)
    return held_back


LOCAL_SOURCES = {
    "sources": {"sentinel1": "local", "sentinel2": "local", "planet": "local"},
    "local": {"sentinel1": "archive/sentinel1", "sentinel2": "archive/sentinel2", "planet": "archive/planet"},
}
ASF_SOURCES = {
    "sources": {"sentinel1": "asf", "sentinel2": "local", "planet": "local"},
    "local": {"sentinel2": "archive/sentinel2", "planet": "archive/planet"},
    "downloads": {"backoff_s": 0},
}


@pytest.fixture(scope="module")
def local_run(repo, finished_demo_run, tmp_path_factory):
    """A finished run whose inputs all come from folders, with the held-back files kept apart."""
    run = copy_run(finished_demo_run, tmp_path_factory.mktemp("local_sources") / "run")
    held_back = fill_archives(run)
    write_config(run, LOCAL_SOURCES)
    result = run_snakemake(repo, run, *FINAL_TARGETS)
    assert result.returncode == 0, result.stderr[-6000:]
    return run, held_back


@pytest.fixture(scope="module")
def asf_run(repo, finished_demo_run, tmp_path_factory):
    """A finished run whose Sentinel-1 scenes come from (recorded) ASF, with the last scenes not yet listed."""
    run = copy_run(finished_demo_run, tmp_path_factory.mktemp("asf_source") / "run")
    fill_archives(run)
    scenes = demo_scenes(run)
    archive = publish(run, scenes[:-NEW_SCENES])
    write_config(run, ASF_SOURCES)
    result = run_snakemake(repo, run, *FINAL_TARGETS, env=recorded_asf_environment(archive))
    assert result.returncode == 0, result.stderr[-6000:]
    return run, scenes


def publish(run: Path, scenes: list[str]) -> Path:
    """What ASF lists from now on: ``scenes``."""
    archive = run / "asf_archive.json"
    catalog = run / "resources/demo/sentinel1/catalog.json"
    write_recorded_asf_archive(archive, catalog, scenes, FAKE_SECRETS["EARTHDATA_TOKEN"], run / "asf_requests.jsonl")
    return archive


def downloaded_scenes(requests: list[dict]) -> list[str]:
    return sorted(r["url"].split("/signed/")[1].split(".zip")[0] for r in requests if "/signed/" in r["url"])


def test_the_local_archive_searched_again_with_nothing_new_runs_the_searches_alone(repo, local_run, tmp_path):
    run = copy_run(local_run[0], tmp_path / "run")
    result = run_snakemake(repo, run, *SEARCH_AGAIN, *FINAL_TARGETS)
    assert result.returncode == 0, result.stderr[-3000:]
    assert job_set(result) == SEARCHES, listing(job_set(result))


def test_new_local_scenes_that_pair_with_no_training_image_cost_only_their_own_jobs(repo, local_run, tmp_path):
    run = copy_run(local_run[0], tmp_path / "run")
    new = local_run[1]["sentinel1"]
    for path in new:
        shutil.copy2(path, run / "archive" / "sentinel1")
    result = run_snakemake(repo, run, *SEARCH_AGAIN, *FINAL_TARGETS)
    assert result.returncode == 0, result.stderr[-3000:]
    ran = job_set(result)
    print(f"\nlocal source, {len(new)} new scenes: {len(ran)} jobs\n{listing(ran)}")
    assert ran == SEARCHES | scene_jobs(path.stem for path in new) | PREDICTION, listing(ran)
    assert set(demo_scenes(run)) >= {path.stem for path in new}


def test_a_new_planet_date_repairs_and_fine_tunes_without_pre_training_again(repo, local_run, tmp_path):
    run = copy_run(local_run[0], tmp_path / "run")
    before = pd.read_csv(run / "results/dataset/finetune_pairs.csv", dtype={"ndvi_date": str})
    for path in local_run[1]["planet"]:
        shutil.copy2(path, run / "archive" / "planet")
    result = run_snakemake(repo, run, *SEARCH_AGAIN, *FINAL_TARGETS)
    assert result.returncode == 0, result.stderr[-3000:]
    ran = job_set(result)
    print(f"\nlocal source, a new Planet date: {len(ran)} jobs\n{listing(ran)}")
    planet_dates = sorted(set(pd.read_csv(run / "results/planet/scenes.csv", dtype={"date": str})["date"]))
    assert HELD_BACK_PLANET_DAY in planet_dates
    after = pair_scenes(pd.read_csv(run / "results/s1/scenes.csv"), planet_dates, 3)
    assert HELD_BACK_PLANET_DAY in set(after["ndvi_date"]) and len(after) > len(before)
    # the new date is clear on all three Planet areas: their datasets are built again, the model fine-tuned again
    expected = SEARCHES | {
        Job("optical_ndvi", f"date={HELD_BACK_PLANET_DAY}, sensor=planet"),
        Job("optical_clear_fractions", "sensor=planet"),
        Job("optical_regression"),
        *(Job("dataset", f"stage={stage}") for stage in ("finetune", "validation", "test")),
        Job("train", f"variant={MAIN}, stage=finetune"),
        *PREDICTION,
    }
    assert ran == expected, listing(ran ^ expected)


def test_asf_searched_again_with_nothing_new_downloads_nothing(repo, asf_run, tmp_path):
    run = copy_run(asf_run[0], tmp_path / "run")
    archive = publish(run, asf_run[1][:-NEW_SCENES])
    served_before = len(read_requests_log(run / "asf_requests.jsonl"))
    result = run_snakemake(repo, run, *SEARCH_AGAIN, *FINAL_TARGETS, env=recorded_asf_environment(archive))
    assert result.returncode == 0, result.stderr[-3000:]
    assert job_set(result) == SEARCHES, listing(job_set(result))
    requests = read_requests_log(run / "asf_requests.jsonl")[served_before:]
    assert [r["url"].split("?")[0] for r in requests] == ["https://cmr.earthdata.nasa.gov/search/granules.umm_json"]


def test_new_asf_scenes_are_downloaded_and_processed_alone(repo, asf_run, tmp_path):
    run = copy_run(asf_run[0], tmp_path / "run")
    scenes = asf_run[1]
    archive = publish(run, scenes)
    served_before = len(read_requests_log(run / "asf_requests.jsonl"))
    result = run_snakemake(repo, run, *SEARCH_AGAIN, *FINAL_TARGETS, env=recorded_asf_environment(archive))
    assert result.returncode == 0, result.stderr[-3000:]
    ran = job_set(result)
    print(f"\nASF, {NEW_SCENES} new scenes: {len(ran)} jobs\n{listing(ran)}")
    assert ran == SEARCHES | scene_jobs(scenes[-NEW_SCENES:]) | PREDICTION, listing(ran)
    requests = read_requests_log(run / "asf_requests.jsonl")[served_before:]
    assert downloaded_scenes(requests) == sorted(scenes[-NEW_SCENES:])
    assert all(r["status"] in (200, 206, 307) for r in requests)
