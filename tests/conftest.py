"""Shared fixtures: the real-data folder beside the repository, and a finished run of the small demo study."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
REAL_DATA = REPO.parent / "shared" / "data" / "real"


@pytest.fixture(scope="session")
def real_data() -> Path:
    """The folder of small real mission/agency files (see each SOURCE.md)."""
    if not REAL_DATA.is_dir():
        pytest.skip(f"real data folder {REAL_DATA} is absent")
    return REAL_DATA


@pytest.fixture(scope="session")
def repo() -> Path:
    return REPO


@pytest.fixture(scope="session")
def finished_demo_run(repo, tmp_path_factory) -> Path:
    """The small demo study (config/test/small.yaml) run to its final products, once per session.

    Read-only for tests: a test that changes anything works on a copy (workflow_cli.copy_run).
    """
    from workflow_cli import FINAL_TARGETS, run_snakemake, write_config

    workdir = tmp_path_factory.mktemp("finished_demo_run")
    write_config(workdir)
    result = run_snakemake(repo, workdir, *FINAL_TARGETS)
    assert result.returncode == 0, result.stderr[-6000:]
    return workdir


@pytest.fixture(scope="session")
def finished_experiments_run(repo, finished_demo_run, tmp_path_factory) -> Path:
    """The demo run with Table 3, the baselines and a two-seed ensemble (``snakemake experiments``). Read-only."""
    from workflow_cli import TEST_CONFIGS, copy_run, run_snakemake, write_config

    workdir = copy_run(finished_demo_run, tmp_path_factory.mktemp("finished_experiments") / "run")
    write_config(workdir, TEST_CONFIGS / "experiments.yaml")
    result = run_snakemake(repo, workdir, "experiments")
    assert result.returncode == 0, result.stderr[-6000:]
    return workdir
