"""A step gives the same files however it is run: by the workflow, by the ``sar2ndvi`` command, or by
its script from the shell."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from sar2ndvi.cli import main
from sar2ndvi.steps.job import Job, as_paths

REPO = Path(__file__).resolve().parents[1]


def test_a_job_is_read_from_the_command_line(tmp_path):
    config = tmp_path / "config.yaml"
    config.write_text("downloads: {attempts: 3}\n")
    job = Job.from_argv(
        [
            "--input", "grid=g.json", "scenes=a.tif", "scenes=b.tif", "plain.tif",
            "--output", "out.tif",
            "--params", 'settings={"oversample": 2}', "label=text",
            "--wildcards", "scene=S1A_X",
            "--threads", "2",
            "--config", str(config),
        ]
    )  # fmt: skip
    assert job.input.grid == "g.json" and job.input.scenes == ["a.tif", "b.tif"] and job.input[2] == "plain.tif"
    assert job.output[0] == "out.tif"
    assert job.params.settings == {"oversample": 2} and job.params.label == "text"
    assert job.wildcards.scene == "S1A_X" and job.threads == 2
    assert job.config["downloads"]["attempts"] == 3
    assert job.input.get("orbit") is None and len(job.log) == 0


def test_one_path_or_several_are_a_list_of_paths():
    assert as_paths("a.tif") == ["a.tif"]
    assert as_paths(Path("a.tif")) == ["a.tif"]
    assert as_paths(["a.tif", Path("b.tif")]) == ["a.tif", "b.tif"]


@pytest.mark.slow
def test_the_command_makes_the_workflows_sigma0_bytes(finished_demo_run, tmp_path):
    run = finished_demo_run
    made = sorted((run / "results/s1/sigma0").glob("*.tif"))[0]
    product = run / "results/s1/products" / f"{made.stem}.SAFE"
    out = tmp_path / "command.tif"
    code = main(
        [
            "sigma0", str(product),
            "--grid", str(run / "results/grid/pretrain.json"),
            "--heights", str(run / "results/dem/heights.tif"),
            "--out", str(out),
        ]
    )  # fmt: skip
    assert code == 0
    assert out.read_bytes() == made.read_bytes()


@pytest.mark.slow
def test_a_script_runs_from_the_shell_and_makes_the_workflows_bytes(finished_demo_run, tmp_path):
    run = finished_demo_run
    made = sorted((run / "results/s1/indexes").glob("*.tif"))[0]
    out = tmp_path / "indexes.tif"
    subprocess.run(
        [
            sys.executable, str(REPO / "workflow/scripts/sar_indexes.py"),
            "--input", f"sigma0={run / 'results/s1/sigma0' / made.name}", f"grid={run / 'results/grid/pretrain.json'}",
            "--output", str(out),
            "--wildcards", f"scene={made.stem}",
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    assert out.read_bytes() == made.read_bytes()


def test_a_failing_step_writes_its_error_to_its_own_log_as_well_as_the_terminal(tmp_path):
    fude = tmp_path / "fude.geojson"
    fude.write_text('{"type": "FeatureCollection", "features": []}')
    log = tmp_path / "logs" / "farm_parcels.log"
    result = subprocess.run(
        [
            sys.executable, str(REPO / "workflow/scripts/farm_parcels.py"),
            "--output", str(tmp_path / "parcels.gpkg"),
            "--params", f"source={fude}", "land_types=[200]", "crs=EPSG:32654", "undeclared_crs=null",
            "--log", str(log),
        ],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode != 0
    message = "fude.geojson: the fude polygons declare no CRS"
    assert message in result.stderr
    logged = log.read_text()
    assert "ERROR" in logged and message in logged and "Traceback" in logged
    assert not (tmp_path / "parcels.gpkg").exists()


def test_prediction_in_chunks_gives_the_same_bytes_and_leaves_out_an_acquisition_without_data(tmp_path, monkeypatch):
    import json

    import numpy as np
    import rasterio

    sys.path.insert(0, str(REPO / "benchmarks"))
    from prediction_memory import prepare

    from sar2ndvi.steps import model

    args = prepare(tmp_path, scenes=7, side=40)
    with rasterio.open(args["indexes"][3], "r+") as blind:  # an acquisition with no valid σ0 at all
        blind.write(np.full((blind.count, blind.height, blind.width), np.nan, "float32"))
    outputs = {}
    for chunk in (16, 2):
        monkeypatch.setattr(model, "SCENES_PER_CHUNK", chunk)
        out = tmp_path / f"ndvi_{chunk}.tif"
        model.predict(**{**args, "out": str(out)})
        outputs[chunk] = out.read_bytes()
    assert outputs[16] == outputs[2]
    with rasterio.open(tmp_path / "ndvi_2.tif") as src:
        assert src.count == 6
        scenes = json.loads(src.tags()["scenes"])
        assert json.loads(src.tags()["scenes_without_data"]) == ["S1A_0003"] and "S1A_0003" not in scenes


def test_a_dem_that_covers_half_the_area_is_refused_naming_it_and_writes_nothing(tmp_path):
    import numpy as np

    from sar2ndvi.grid import AreaGrid
    from sar2ndvi.io import write_raster
    from sar2ndvi.steps.grids import dem_heights

    area = AreaGrid("pretrain", "EPSG:32654", 10.0, 720_000.0, 4_045_000.0, 40, 30)
    half = AreaGrid("west", "EPSG:32654", 10.0, 720_000.0, 4_045_000.0, 20, 30)
    (tmp_path / "pretrain.json").write_text(area.to_json())
    write_raster(tmp_path / "dem.tif", np.full(half.shape, 1200.0, np.float32), half, ["height"])
    with pytest.raises(ValueError, match=r"dem\.tif: the DEM does not cover the study area .*\(50 % .*sources\.dem"):
        dem_heights(tmp_path / "dem.tif", tmp_path / "pretrain.json", 39.5, tmp_path / "heights.tif")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dem.tif", "pretrain.json"]
