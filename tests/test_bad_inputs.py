"""Bad inputs, run through the workflow on a finished small study: each stops with a message that names the
file, what is wrong and what to do, in the job's log as well as on the terminal, leaves no partial file,
and, with ``--keep-going``, lets the jobs that do not need it finish."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import rasterio
from workflow_cli import FAKE_SECRETS, copy_run, run_snakemake, snakemake_command, write_config

from sar2ndvi.model import Checkpoint
from sar2ndvi.pairing import pair_scenes

pytestmark = pytest.mark.slow


@pytest.fixture
def run(finished_demo_run, tmp_path) -> Path:
    return copy_run(finished_demo_run, tmp_path / "run")


def hidden_files(run: Path) -> list[Path]:
    return [p for p in (run / "results").rglob(".*") if p.name != ".snakemake_timestamp"]


def assert_failed_with(result, run: Path, message: str, log: str) -> None:
    assert result.returncode != 0
    assert message in result.stderr, result.stderr[-3000:]
    assert message in (run / log).read_text(), f"{log} does not say why the job failed"
    assert not hidden_files(run), "a partial file survived"


def test_a_truncated_zip_in_the_sentinel1_folder_is_left_out_and_named_in_the_runs_summary(repo, run):
    folder = run / "archive" / "sentinel1"
    shutil.copytree(run / "resources/demo/sentinel1", folder)
    (folder / "catalog.json").unlink()
    truncated = sorted(folder.glob("*.zip"))[3]
    truncated.write_bytes(truncated.read_bytes()[:100_000])
    write_config(run, {"sources": {"sentinel1": "local"}, "local": {"sentinel1": "archive/sentinel1"}})
    result = run_snakemake(repo, run, "results/s1/scenes.csv")
    assert result.returncode == 0, result.stderr[-3000:]
    listed = set(pd.read_csv(run / "results/s1/scenes.csv")["scene"])
    assert truncated.stem not in listed and len(listed) == len(list(folder.glob("*.zip"))) - 1
    skipped = pd.read_csv(run / "results/s1/skipped.csv")
    assert list(skipped["scene"]) == [truncated.stem] and "download it again" in skipped.loc[0, "reason"]
    summary = result.stderr[result.stderr.rfind("product(s) found and left out") :]
    assert truncated.stem in summary, "the run's summary names the scene left out"


def test_a_fully_cloudy_sentinel2_date_gives_way_to_a_clear_one_within_the_window(repo, run):
    s1 = pd.read_csv(run / "results/s1/scenes.csv")
    dates = sorted(set(pd.read_csv(run / "results/sentinel2/scenes.csv", dtype={"date": str})["date"]))
    pairs = pair_scenes(s1, dates, 3)
    # a paired date with another date within the window of one of its scenes
    cloudy, scene, clear = next(
        (date, row.scene, alternative.loc[0, "ndvi_date"])
        for date in pairs["ndvi_date"].unique()
        for row in pairs[pairs["ndvi_date"] == date].itertuples()
        if not (alternative := pair_scenes(s1[s1["scene"] == row.scene], [d for d in dates if d != date], 3)).empty
    )
    for export in (run / "resources/demo/sentinel2").glob(f"{cloudy}T*.tif"):
        with rasterio.open(export, "r+") as image:
            band = list(image.descriptions).index("probability") + 1
            image.write(np.full((image.height, image.width), 100, "uint16"), band)
    result = run_snakemake(repo, run, "results/dataset/pretrain_pairs.csv")
    assert result.returncode == 0, result.stderr[-3000:]
    fractions = pd.read_csv(run / "results/sentinel2/clear_fractions.csv", dtype={"date": str})
    assert fractions.set_index(["date", "area"]).loc[(cloudy, "pretrain"), "clear_fraction"] == 0
    after = pd.read_csv(run / "results/dataset/pretrain_pairs.csv", dtype={"ndvi_date": str}).set_index("scene")
    assert cloudy not in set(after["ndvi_date"])
    assert after.loc[scene, "ndvi_date"] == clear
    assert f"{cloudy} (pretrain)" in result.stderr, "the run's summary names the date left unpaired"


def strip_crs(source: Path, dest: Path) -> None:
    data = json.loads(source.read_text())
    data.pop("crs")
    dest.parent.mkdir(parents=True)
    dest.write_text(json.dumps(data))


def test_fude_polygons_that_declare_no_crs_stop_the_farm_job_and_keep_going_finishes_the_rest(repo, run):
    fude = next((run / "resources/demo/maff").glob("*.geojson"))
    strip_crs(fude, run / "archive" / "farms" / fude.name)
    write_config(run, {"sources": {"farms": "local"}, "local": {"farms": "archive/farms"}})
    scene = pd.read_csv(run / "results/s1/scenes.csv")["scene"].iloc[0]
    sigma0 = run / "results/s1/sigma0" / f"{scene}.tif"
    before = sigma0.stat().st_mtime_ns
    result = run_snakemake(
        repo, run, "--keep-going", "--forcerun", str(sigma0.relative_to(run)), "--",
        "results/farms/parcels.gpkg", str(sigma0.relative_to(run)),
    )  # fmt: skip
    assert_failed_with(result, run, f"{fude.name}: the fude polygons declare no CRS", "logs/farm_parcels.log")
    assert "farms.crs" in result.stderr
    assert not (run / "results/farms/parcels.gpkg").exists()
    assert sigma0.stat().st_mtime_ns > before, "the σ0 job, which needs no parcels, ran to its end"

    write_config(
        run, {"sources": {"farms": "local"}, "local": {"farms": "archive/farms"}, "farms": {"crs": "EPSG:6668"}}
    )
    result = run_snakemake(repo, run, "results/farms/parcels.gpkg")
    assert result.returncode == 0, result.stderr[-3000:]


def test_an_empty_planet_folder_is_named_with_what_to_put_there(repo, run):
    (run / "archive" / "planet").mkdir(parents=True)
    write_config(run, {"sources": {"planet": "local"}, "local": {"planet": "archive/planet"}})
    result = run_snakemake(repo, run, "results/planet/scenes.csv")
    assert_failed_with(result, run, "no planet scene between", "logs/optical_search/planet.log")
    assert "archive/planet" in result.stderr


def model_weights(run: Path) -> dict[str, str]:
    return {str(p.relative_to(run)): Checkpoint.load(p).digest for p in sorted((run / "results/models").rglob("*.pt"))}


def folder_size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file() and not p.is_symlink())


@pytest.fixture
def small_disk(tmp_path):
    """A file system of its own under ``tmp_path``, 64 MB larger than the finished small study."""

    def mount(size_bytes: int) -> Path:
        disk = tmp_path / "disk"
        disk.mkdir()
        command = ["mount", "-t", "tmpfs", "-o", f"size={size_bytes // 2**20 + 64}m", "tmpfs", str(disk)]
        if subprocess.run(command, capture_output=True).returncode != 0:
            pytest.skip("mounting a small file system needs root (CAP_SYS_ADMIN)")
        mounted.append(disk)
        return disk

    mounted: list[Path] = []
    yield mount
    for disk in mounted:
        subprocess.run(["umount", "-l", str(disk)], check=False)


def test_a_full_disk_stops_the_job_naming_the_disk_and_the_next_run_finishes_once_space_is_freed(
    repo, finished_demo_run, small_disk
):
    run = copy_run(finished_demo_run, small_disk(folder_size(finished_demo_run)) / "run")
    predicted = run / "results/ndvi_test.tif"
    expected = predicted.read_bytes()
    predicted.unlink()
    filler = run.parent / "filler"
    with open(filler, "wb") as handle:
        left = shutil.disk_usage(run).free - 64 * 2**10
        while left > 0:
            left -= handle.write(bytes(min(left, 2**20)))
    assert shutil.disk_usage(run).free < len(expected) / 4

    result = run_snakemake(repo, run, "results/ndvi_test.tif")
    assert result.returncode != 0
    advice = f"the disk holding {run / 'results'} is full ("
    assert advice in result.stderr, result.stderr[-3000:]
    assert "run the same command again" in result.stderr
    assert not predicted.exists() and not hidden_files(run), "a partial file survived"

    filler.unlink()
    result = run_snakemake(repo, run, "results/ndvi_test.tif")
    assert result.returncode == 0, result.stderr[-3000:]
    assert predicted.read_bytes() == expected


def test_a_second_run_in_the_same_directory_is_refused_and_the_first_finishes_untouched(repo, run):
    prediction = run / "results/ndvi_test.tif"
    expected_weights, expected_prediction = model_weights(run), prediction.read_bytes()
    journal = run / ".snakemake/sar2ndvi/unfinished_jobs.json"
    env = {**os.environ, **FAKE_SECRETS}
    command = snakemake_command(repo, run, "--forcerun", "train", "--", "results/ndvi_test.tif")
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env) as first:
        deadline = time.monotonic() + 300
        while not (journal.exists() and "results/models/" in journal.read_text()):
            assert first.poll() is None and time.monotonic() < deadline, "the first run never started training"
            time.sleep(0.2)
        second = run_snakemake(repo, run, "--forcerun", "train", "--", "results/ndvi_test.tif")
        _, first_err = first.communicate(timeout=1800)
    assert first.returncode == 0, first_err[-3000:]
    assert second.returncode != 0
    assert f"Another run is working in this directory (pid {first.pid} since" in second.stderr, second.stderr[-3000:]
    assert "do not remove them with --unlock" in second.stderr
    assert "Directory cannot be locked" in second.stderr
    assert not hidden_files(run), "a partial file survived"
    # retrained to the same weights (a model file also records how long each epoch took), which
    # predict the same NDVI; on a loaded machine the first batch of a prediction has come out up to
    # 3e-6 apart (the CPU kernels' rounding), so the values are compared, not the bytes
    assert model_weights(run) == expected_weights
    with rasterio.open(prediction) as after, rasterio.io.MemoryFile(expected_prediction) as memory:
        with memory.open() as before:
            np.testing.assert_allclose(after.read(), before.read(), atol=1e-5)
            assert after.tags() == before.tags() and after.descriptions == before.descriptions


def test_a_product_whose_geolocation_misses_the_grid_stops_its_sigma0_and_keep_going_finishes_the_others(repo, run):
    bad, good = pd.read_csv(run / "results/s1/scenes.csv")["scene"].iloc[:2]
    # the annotation's geolocation grid a degree north of where the product's footprint says it is
    for xml in (run / "results/s1/products" / f"{bad}.SAFE" / "annotation").glob("*.xml"):
        text = re.sub(
            r"<latitude>([-0-9.eE+]+)</latitude>",
            lambda m: f"<latitude>{float(m.group(1)) + 1.0}</latitude>",
            xml.read_text(),
        )
        xml.write_text(text)
    targets = [f"results/s1/sigma0/{scene}.tif" for scene in (bad, good)]
    before = (run / targets[1]).stat().st_mtime_ns
    result = run_snakemake(repo, run, "--keep-going", "--forcerun", *targets, "--", *targets)
    assert_failed_with(
        result,
        run,
        "the geolocation grid of its annotation does not reach the study grid 'pretrain', although its footprint does",
        f"logs/s1_sigma0/{bad}.log",
    )
    assert "download it again, or remove it from the archive" in result.stderr
    assert not (run / targets[0]).exists()
    assert (run / targets[1]).stat().st_mtime_ns > before, "the other scene's σ0 ran to its end"
