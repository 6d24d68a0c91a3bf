"""A second pre-training sensor chosen in the config: Landsat 8/9 in place of Sentinel-2, no rule changed."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import rasterio
from workflow_cli import Job, copy_run, job_set, run_snakemake, write_config

from sar2ndvi.io import write_geotiff
from sar2ndvi.ndvi import LANDSAT_CLEAR_BIT, LANDSAT_SR_OFFSET, LANDSAT_SR_SCALE, parse_sentinel2_name

pytestmark = pytest.mark.slow

LANDSAT_CLOUD = 1 << 3


def landsat_exports_of(sentinel2_folder, landsat_folder, cloud_probability_max):
    """Landsat Collection 2 L2 exports carrying the demo's Sentinel-2 reflectances and cloud mask, one per S2 image.

    Red and NIR become USGS's scaled integers, DN = (reflectance − offset) / scale; QA_PIXEL is
    clear where s2cloudless is at most ``cloud_probability_max`` and cloud elsewhere.
    """
    landsat_folder.mkdir()
    dates = []
    for k, path in enumerate(sorted(sentinel2_folder.glob("*.tif"))):
        day = parse_sentinel2_name(path).date_key
        with rasterio.open(path) as src:
            red, nir, probability = src.read().astype(np.float64)
            transform, crs = src.transform, src.crs
        dn = [
            np.where(band > 0, np.round((band / 10_000 - LANDSAT_SR_OFFSET) / LANDSAT_SR_SCALE), 0)
            for band in (red, nir)
        ]
        qa = np.where(probability <= cloud_probability_max, LANDSAT_CLEAR_BIT, LANDSAT_CLOUD)
        name = f"LC08_{108035 + k:06d}_{day}.tif"
        write_geotiff(
            landsat_folder / name, np.stack([*dn, qa]), transform, crs, "uint16", 0, ["SR_B4", "SR_B5", "QA_PIXEL"]
        )
        dates.append(day)
    return sorted(set(dates))


def test_landsat_pre_training_is_a_config_change_and_fits_as_sentinel2_did(repo, finished_demo_run, tmp_path):
    run = copy_run(finished_demo_run, tmp_path / "run")
    config = write_config(run)
    dates = landsat_exports_of(
        run / config["demo"]["store"] / "sentinel2",
        run / "landsat",
        config.get("sentinel2", {}).get("cloud_probability_max", 20),
    )
    write_config(
        run,
        {
            "sensors": {"reference": "planet", "pretraining": "landsat"},
            "sources": {"landsat": "local"},
            "local": {"landsat": str(run / "landsat")},
        },
    )
    result = run_snakemake(repo, run, "results/regression/landsat_to_planet.json")
    assert result.returncode == 0, result.stderr[-3000:]
    ran = job_set(result)
    assert {Job("optical_search", "sensor=landsat"), Job("optical_regression")} <= ran
    assert {job for job in ran if job.rule == "optical_ndvi"} == {
        Job("optical_ndvi", f"date={day}, sensor=landsat") for day in dates
    }
    for day in dates:
        with (
            rasterio.open(run / f"results/landsat/ndvi/{day}.tif") as landsat,
            rasterio.open(run / f"results/sentinel2/ndvi/{day}.tif") as sentinel2,
        ):
            a, b = landsat.read(1), sentinel2.read(1)
        np.testing.assert_array_equal(np.isnan(a), np.isnan(b))
        assert np.nanmax(np.abs(a - b)) < 2e-3, day
    landsat_fit = json.loads((run / "results/regression/landsat_to_planet.json").read_text())
    sentinel2_fit = json.loads((run / "results/regression/sentinel2_to_planet.json").read_text())
    assert landsat_fit["n_pixels"] == sentinel2_fit["n_pixels"]
    assert landsat_fit["slope"] == pytest.approx(sentinel2_fit["slope"], abs=2e-3)
    assert landsat_fit["intercept"] == pytest.approx(sentinel2_fit["intercept"], abs=2e-3)
    samples = pd.read_csv(run / "results/regression/landsat_to_planet_samples.csv")
    assert list(samples.columns) == ["source", "reference"]
