"""Reruns are exact: on a finished run, each change plans the jobs whose output it changes, and no other.

Every test works on a copy of the finished small demo run. Edits that rerun no checkpoint are
checked on the dry run's plan (it is exact then); the others are run, and the jobs that actually
ran are compared. The job lists of each case are printed (``pytest -s``) as a record.
"""

from __future__ import annotations

import pandas as pd
import pytest
import yaml
from workflow_cli import (
    FINAL_TARGETS,
    SEARCH_AGAIN,
    SEARCHES,
    Job,
    copy_run,
    job_set,
    listing,
    run_snakemake,
    write_config,
)

from sar2ndvi.pairing import pair_scenes
from sar2ndvi.variants import ModelVariant

pytestmark = pytest.mark.slow

MAIN = ModelVariant().name
TRAINING = {stage: Job("train", f"variant={MAIN}, stage={stage}") for stage in ("pretrain", "finetune")}
STAGES = ("pretrain", "finetune", "validation", "test")
PREDICTION = {Job("predict", "area=test"), Job("evaluate")}


@pytest.fixture
def run(finished_demo_run, tmp_path):
    return copy_run(finished_demo_run, tmp_path / "run")


def scenes_of(run) -> list[str]:
    return list(pd.read_csv(run / "results/s1/scenes.csv")["scene"])


def downstream_of_datasets(changed: set[str]) -> set[Job]:
    """The jobs that follow when the datasets of the ``changed`` stages are rebuilt."""
    jobs = {Job("dataset", f"stage={stage}") for stage in changed}
    if "pretrain" in changed:
        jobs.add(TRAINING["pretrain"])
    if changed & {"pretrain", "finetune", "validation"}:
        jobs |= {TRAINING["finetune"], *PREDICTION}
    if "test" in changed:
        jobs.add(Job("evaluate"))
    return jobs


def every_stage_rebuilt(run) -> set[Job]:
    return downstream_of_datasets(set(STAGES))


# (what the user changes, the config edit, the jobs it must plan on the finished run)
CONFIG_EDITS = [
    ("model.test_time_augmentation", {"model": {"test_time_augmentation": False}}, lambda run: PREDICTION),
    ("model.threads", {"model": {"threads": 1}}, lambda run: set()),
    ("model.device", {"model": {"device": "cpu"}}, lambda run: set()),
    (
        "sentinel1.speckle_filter",
        {"sentinel1": {"speckle_filter": "lee"}},
        lambda run: (
            {Job(rule, f"scene={scene}") for scene in scenes_of(run) for rule in ("s1_sigma0", "sar_indexes")}
            | every_stage_rebuilt(run)
        ),
    ),
    ("sentinel1.relative_orbits, every track in use", {"sentinel1": {"relative_orbits": [46, 119]}}, lambda run: set()),
    ("sentinel1.relative_orbits, one track of two", {"sentinel1": {"relative_orbits": [46]}}, every_stage_rebuilt),
    ("sentinel1.speckle_window without a speckle filter", {"sentinel1": {"speckle_window": 7}}, lambda run: set()),
]


@pytest.mark.parametrize("name, edit, expected", CONFIG_EDITS, ids=[case[0] for case in CONFIG_EDITS])
def test_a_config_edit_plans_exactly_the_jobs_whose_output_it_changes(repo, run, name, edit, expected):
    write_config(run, edit)
    result = run_snakemake(repo, run, "--dry-run", *FINAL_TARGETS)
    assert result.returncode == 0, result.stderr[-3000:]
    planned = job_set(result)
    print(f"\n{name}: {len(planned)} jobs\n{listing(planned)}")
    assert planned == expected(run), listing(planned ^ expected(run))


def test_a_pairing_window_change_repairs_and_retrains_what_it_changes(repo, run):
    max_days = yaml.safe_load((repo / "config" / "config.yaml").read_text())["pairing"]["max_days"]
    s1 = pd.read_csv(run / "results/s1/scenes.csv")

    def pairs(stage: str, days: int) -> pd.DataFrame:
        folder = "sentinel2" if stage == "pretrain" else "planet"
        dates = sorted(set(pd.read_csv(run / f"results/{folder}/scenes.csv", dtype={"date": str})["date"]))
        return pair_scenes(s1, dates, days)

    changed = {stage for stage in STAGES if not pairs(stage, max_days - 1).equals(pairs(stage, max_days))}
    assert changed, "the small demo has pairs as far apart as the default window"
    write_config(run, {"pairing": {"max_days": max_days - 1}})
    result = run_snakemake(repo, run, *FINAL_TARGETS)
    assert result.returncode == 0, result.stderr[-3000:]
    ran = job_set(result)
    print(f"\npairing.max_days {max_days} → {max_days - 1}: {len(ran)} jobs\n{listing(ran)}")
    assert ran == {Job("optical_regression")} | downstream_of_datasets(changed), listing(ran)


def test_searching_again_with_nothing_new_runs_the_searches_alone(repo, run):
    result = run_snakemake(repo, run, *SEARCH_AGAIN, *FINAL_TARGETS)
    assert result.returncode == 0, result.stderr[-3000:]
    ran = job_set(result)
    print(f"\nsearch again, nothing new: {listing(ran)}")
    assert ran == SEARCHES


def test_a_finished_run_moved_elsewhere_then_searched_again_downloads_nothing(repo, run, tmp_path):
    moved = copy_run(run, tmp_path / "elsewhere" / "moved")
    result = run_snakemake(repo, moved, *SEARCH_AGAIN, *FINAL_TARGETS)
    assert result.returncode == 0, result.stderr[-3000:]
    ran = job_set(result)
    print(f"\nmoved, then searched again: {listing(ran)}")
    assert ran == SEARCHES
    assert str(run) not in (moved / "results/s1/scenes.csv").read_text()
    assert "Nothing to be done" in run_snakemake(repo, moved, "--dry-run", *FINAL_TARGETS).stdout


def test_one_scenes_sigma0_can_be_asked_for_alone(repo, run):
    scene = scenes_of(run)[3]
    target = f"results/s1/sigma0/{scene}.tif"
    (run / target).unlink()
    result = run_snakemake(repo, run, target)
    assert result.returncode == 0, result.stderr[-3000:]
    assert job_set(result) == {Job("s1_sigma0", f"scene={scene}")}
    assert (run / target).is_file()


def test_a_scene_the_search_does_not_list_is_refused_with_the_reason(repo, run):
    unlisted = "S1A_IW_GRDH_1SDV_20170102T000000_20170102T000025_014626_017C6E_0A0A"
    result = run_snakemake(repo, run, f"results/s1/sigma0/{unlisted}.tif")
    assert result.returncode != 0
    assert f"{unlisted} is not in the last Sentinel-1 search (results/s1/scenes.csv)" in result.stderr
    assert not list((run / "results/s1/products").glob(f"{unlisted}*"))


# A change whose job fails is not forgotten --------------------------------------------------------


def bad_dem(run, real_data):
    """A real DEM (Copernicus GLO-30 over Rome) that does not cover the study area."""
    return {"sources": {"dem": "local"}, "local": {"dem": str(real_data / "dem_rome_30m_sarsen" / "Rome-30m-DEM.tif")}}


def bad_fude_folder(run, real_data):
    """A folder with no fude polygon file in it."""
    folder = run / "fude_download"
    folder.mkdir()
    (folder / "README.txt").write_text("the download did not finish\n")
    return {"sources": {"farms": "local"}, "local": {"farms": str(folder)}}


@pytest.mark.parametrize(
    "make_edit, failing_job, message, rebuilt",
    [
        (bad_dem, Job("dem"), "does not cover the study area", "results/dem/heights.tif"),
        (bad_fude_folder, Job("farm_parcels"), "no fude polygon file", "results/farms/parcels.gpkg"),
    ],
    ids=["a DEM that does not cover the area", "a fude folder without polygons"],
)
def test_a_failed_change_is_retried_by_the_same_command_not_forgotten(
    repo, run, real_data, make_edit, failing_job, message, rebuilt
):
    original = yaml.safe_load((run / "config.yaml").read_text())
    write_config(run, make_edit(run, real_data))
    first = run_snakemake(repo, run, *FINAL_TARGETS)
    assert first.returncode != 0 and message in first.stderr
    assert not (run / rebuilt).exists()  # Snakemake removed the output of the failed job
    again = run_snakemake(repo, run, *FINAL_TARGETS)
    assert "Nothing to be done" not in again.stdout + again.stderr
    assert again.returncode != 0 and message in again.stderr, "the same command retries the failed job"
    assert failing_job in job_set(again)
    # Back to the original inputs: the file is rebuilt, and everything that was made from it.
    (run / "config.yaml").write_text(yaml.safe_dump(original))
    plan = run_snakemake(repo, run, "--dry-run", *FINAL_TARGETS)
    assert plan.returncode == 0, plan.stderr[-3000:]
    planned = job_set(plan)
    print(f"\nafter {failing_job} failed, then the config was restored: {len(planned)} jobs")
    assert failing_job in planned and PREDICTION <= planned, listing(planned)
