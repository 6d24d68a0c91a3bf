"""The live sources are switched on by configuration alone: the workflow plans their jobs."""

from __future__ import annotations

import subprocess

import yaml
from workflow_cli import snakemake_command

LIVE = {"sentinel1": "asf", "sentinel2": "earthengine", "dem": "copernicus"}


def dry_run(repo, workdir, sources: dict) -> str:
    config = yaml.safe_load((repo / "config" / "config.yaml").read_text())
    config["sources"].update(sources)
    (workdir / "config.yaml").write_text(yaml.safe_dump(config))
    command = snakemake_command(repo, workdir, "--dry-run", "results/ndvi_test.tif")
    result = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout + result.stderr


def test_asf_earth_engine_and_copernicus_replace_the_demo_archives(repo, tmp_path):
    plan = dry_run(repo, tmp_path, LIVE)
    for job in ("checkpoint s1_search:", "checkpoint optical_search:", "rule dem_copernicus:"):
        assert job in plan, job
    assert "ee_requests=1" in plan and "downloads=1" in plan
    # Planet and the farm polygons still come from the demo world; its generator must not be asked
    # for the Sentinel-1, Sentinel-2 or DEM files any more.
    assert "results/dem/copernicus_glo30.tif" in plan


def test_the_demo_plans_no_live_job(repo, tmp_path):
    plan = dry_run(repo, tmp_path, {})
    assert "dem_copernicus" not in plan and "optical_fetch" not in plan
