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
    out = tmp_path / "command.tif"
    code = main(
        [
            "sigma0", str(run / "results/s1/products" / f"{made.stem}.SAFE"),
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
