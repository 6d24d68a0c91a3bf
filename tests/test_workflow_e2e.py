"""End to end: the whole workflow on a small demo world, offline, then nothing left to do."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import rasterio
from workflow_cli import FAKE_SECRETS, run_snakemake

from sar2ndvi.grid import AreaGrid

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def run(finished_demo_run):
    return finished_demo_run


def test_ndvi_test_is_on_the_test_grid_with_one_band_per_acquisition(run):
    grid = AreaGrid.read(run / "results/grid/test.json")
    scenes = pd.read_csv(run / "results/s1/scenes.csv")
    with rasterio.open(run / "results/ndvi_test.tif") as src:
        assert src.crs.to_epsg() == 32654
        assert src.res == (10.0, 10.0)
        assert src.transform == grid.transform and (src.height, src.width) == grid.shape
        assert src.count == len(scenes) > 0
        times = [pd.Timestamp(d) for d in src.descriptions]
        assert times == sorted(times)
        assert [t.isoformat() for t in times] == [pd.Timestamp(s).isoformat() for s in scenes["start"]]
        data = src.read()
    farm = rasterio.open(run / "results/farms/test_mask.tif").read(1) > 0
    assert farm.any() and (~farm).any()
    assert np.isnan(data[:, ~farm]).all()
    values = data[:, farm]
    assert np.isfinite(values).mean() > 0.95
    assert np.nanmin(values) >= -1 and np.nanmax(values) <= 1


def test_metrics_report_the_model_and_a_trivial_baseline(run):
    metrics = json.loads((run / "results/metrics.json").read_text())
    for key in ("mse", "mae", "rmse"):
        assert metrics["model"][key] >= 0
        assert metrics["baselines"]["training_mean"][key] >= 0
    assert metrics["model"]["rmse"] == pytest.approx(np.sqrt(metrics["model"]["mse"]), rel=1e-5)
    assert metrics["pairs"] > 0 and metrics["pixels"] > 0


def test_sigma0_is_linear_power_on_the_study_grid(run):
    grid = AreaGrid.read(run / "results/grid/pretrain.json")
    products = sorted((run / "results/s1/sigma0").glob("*.tif"))
    with rasterio.open(products[0]) as src:
        assert src.transform == grid.transform and src.count == 2
        vv, vh = src.read()
    # typical C-band backscatter of farmland and forest: VV −20…−3 dB, VH below VV
    assert -20 < 10 * np.log10(np.nanmedian(vv)) < -3
    assert np.nanmedian(vh) < np.nanmedian(vv)


def test_a_second_run_has_nothing_to_do(run, repo):
    result = run_snakemake(repo, run, "results/ndvi_test.tif", "results/metrics.json", "--dry-run")
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Nothing to be done" in result.stdout + result.stderr


def test_every_job_left_a_log_and_a_benchmark(run):
    logs = list((run / "logs").rglob("*.log"))
    benchmarks = list((run / "results/benchmarks").rglob("*.tsv"))
    assert len(logs) > 10 and len(benchmarks) == len(logs)


def test_no_secret_of_the_environment_reaches_a_log_an_output_or_snakemakes_records(run):
    secrets = [value.encode() for value in FAKE_SECRETS.values()]
    scanned = 0
    for path in run.rglob("*"):
        if path.is_file() and "resources" not in path.relative_to(run).parts:
            data = path.read_bytes()
            scanned += 1
            leaked = [s.decode() for s in secrets if s in data]
            assert not leaked, f"{path} holds {leaked}"
    assert scanned > 100  # logs, benchmarks, rasters, tables, .snakemake metadata and the terminal output


def test_no_absolute_path_of_the_working_directory_enters_a_table_a_param_or_a_tag(run):
    here = str(run)
    for table in sorted(run.glob("results/*/scenes.csv")):
        assert here not in table.read_text(), f"{table} names the working directory"
    records = [json.loads(path.read_text()) for path in (run / ".snakemake" / "metadata").iterdir()]
    assert len(records) > 100
    for record in records:
        assert here not in json.dumps(record.get("params")), f"params of rule {record['rule']} name {here}"
    rasters = [*run.glob("results/*.tif"), *run.glob("results/s1/*/*.tif"), *run.glob("results/*/ndvi/*.tif")]
    assert len(rasters) > 20
    for path in rasters:
        with rasterio.open(path) as src:
            assert here not in json.dumps(src.tags()), f"tags of {path} name the working directory"


@pytest.fixture(scope="module")
def experiments(finished_experiments_run):
    return finished_experiments_run


def test_the_ablation_table_has_table_3s_rows_and_layout(experiments):
    table = pd.read_csv(experiments / "results/ablation.csv")
    assert list(table["method"]) == ["Ours"] + [f"Ablation {k}" for k in range(1, 6)]
    components = ["pre_training", "fine_tuning", "sar_indexes", "training_aug", "test_time_aug"]
    for k, component in enumerate(components, start=1):
        assert not table.loc[k, component] and table.drop(index=k)[component].all()
    assert (table["validation_mse"] > 0).all() and (table["test_mse"] > 0).all()
    # the paper's figures are carried beside, never in place of, the measured ones
    assert table["paper_mse"].tolist() == [0.008661, 0.020866, 0.009835, 0.010978, 0.018021, 0.009048]
    assert table["validation_mse"].nunique() > 1


def test_the_baselines_table_compares_the_method_with_each_baseline(experiments):
    table = pd.read_csv(experiments / "results/baselines.csv")
    methods = " | ".join(table["method"])
    for name in ("Kimura", "SEN12TP", "RVI linear regression", "random forest", "mean"):
        assert name in methods
    metrics = json.loads((experiments / "results/metrics.json").read_text())
    assert table.loc[0, "mse"] == pytest.approx(metrics["model"]["mse"], rel=1e-4), "same model, same pixels"
    assert ((table["rmse"] - np.sqrt(table["mse"])).abs() < 1e-5).all()


def test_the_ensemble_gives_a_mean_and_a_spread_per_acquisition(experiments):
    with (
        rasterio.open(experiments / "results/ndvi_test.tif") as single,
        rasterio.open(experiments / "results/ndvi_test_ensemble.tif") as ensemble,
    ):
        assert ensemble.count == 2 * single.count
        assert [d.rsplit(" ", 1)[1] for d in ensemble.descriptions[:2]] == ["mean", "std"]
        assert ensemble.descriptions[0].split(" ")[0] == single.descriptions[0]
        data = ensemble.read()
    mean, std = data[0::2], data[1::2]
    assert np.nanmin(std) >= 0 and np.nanmax(std) > 0
    assert np.nanmax(np.abs(mean)) <= 1
