"""Train once, monitor every season: a model trained in one run predicts another season and more areas."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import pytest
import rasterio
from workflow_cli import job_set, listing, run_snakemake, write_config

from sar2ndvi.model import Checkpoint

pytestmark = pytest.mark.slow

# a field block in the north-east of the small study's pre-training area, in no stage's area
NEW_AREA = {"west": 138.494, "south": 36.530, "east": 138.502, "north": 36.536}
TARGETS = ("results/ndvi_test.tif", "results/ndvi_hillside.tif", "results/fields_hillside.parquet")


@pytest.fixture(scope="module")
def next_season(repo, finished_demo_run, tmp_path_factory) -> tuple[Path, Path, object]:
    model = finished_demo_run / "results/models/pix2pix-indexes-aug-s42/finetune.pt"
    run = tmp_path_factory.mktemp("next_season")
    write_config(
        run,
        {
            "study": {"start": "2018-06-01", "end": "2018-08-15"},
            "areas": {"hillside": NEW_AREA},
            "model": {"checkpoint": str(model)},
        },
    )
    plan = run_snakemake(repo, run, "-n", "--", *TARGETS)
    assert plan.returncode == 0, plan.stderr[-3000:]
    result = run_snakemake(repo, run, *TARGETS)
    assert result.returncode == 0, result.stderr[-4000:]
    return run, model, job_set(plan) | job_set(result)


def test_the_next_season_trains_nothing_and_predicts_with_the_given_model(next_season):
    run, model, jobs = next_season
    trained = {job for job in jobs if job.rule in ("train", "dataset")}
    assert not trained, listing(trained)
    assert not (run / "results/models").exists()
    with rasterio.open(run / "results/ndvi_test.tif") as src:
        assert json.loads(src.tags()["models"]) == [Checkpoint.load(model).digest]
        assert all(d.startswith("2018-") for d in src.descriptions)


def test_an_area_named_in_the_config_gets_its_map_and_field_table(next_season):
    run, _, _ = next_season
    with rasterio.open(run / "results/ndvi_hillside.tif") as src:
        assert src.count > 5
    fields = gpd.read_parquet(run / "results/fields_hillside.parquet")
    assert {"sar", "sentinel2", "fused"} <= set(fields["kind"])
    assert fields["time"].dt.year.eq(2018).all()


def test_a_missing_checkpoint_is_named(repo, tmp_path):
    write_config(tmp_path, {"model": {"checkpoint": str(tmp_path / "nowhere/finetune.pt")}})
    result = run_snakemake(repo, tmp_path, "-n", "--", "results/ndvi_test.tif")
    assert result.returncode != 0
    # Snakemake prints an error of the workflow's own setup on stdout
    assert f"model.checkpoint: {tmp_path}/nowhere/finetune.pt is not a file" in result.stdout + result.stderr
