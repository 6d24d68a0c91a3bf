"""A run killed outright (SIGKILL, as when a machine dies) is finished by the README's plain command.

No ``--unlock``, no files deleted by hand: the next run finds the dead run's locks stale, rebuilds
the outputs whose jobs were cut off (with everything made from them), and ends with exactly the
products of an uninterrupted run.
"""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
from workflow_cli import FAKE_SECRETS, FINAL_TARGETS, copy_run, run_snakemake, snakemake_command

from sar2ndvi.model import Checkpoint

pytestmark = pytest.mark.slow


def digests(run: Path, pattern: str) -> dict[str, str]:
    return {
        str(path.relative_to(run)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(run.glob(pattern))
        if path.is_file()
    }


def weights(run: Path) -> dict[str, str]:
    """Digest of the weights of every trained model of a run."""
    return {
        str(path.relative_to(run)): Checkpoint.load(path).digest
        for path in sorted((run / "results" / "models").glob("*/*.pt"))
    }


def kill_when(repo: Path, run: Path, started: str, *args: str, writing: str = "", timeout: float = 600) -> str:
    """Start the workflow, SIGKILL it with all its jobs once its output shows ``started`` (and, with
    ``writing``, once a file of that glob exists under ``run``: a job caught writing); return its output."""
    log = run / "killed_run.txt"
    with open(log, "w") as out:
        process = subprocess.Popen(
            snakemake_command(repo, run, *args),
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**os.environ, **FAKE_SECRETS},
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while started not in log.read_text() or (writing and not list(run.glob(writing))):
            assert process.poll() is None, f"the run ended before {started!r}:\n{log.read_text()[-3000:]}"
            assert time.monotonic() < deadline
            time.sleep(0.02 if writing else 0.2)
        if not writing:
            time.sleep(1.0)  # well inside the job
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    return log.read_text()


@pytest.mark.parametrize(
    "forced_rule, started, writing",
    [
        ("s1_sigma0", "rule s1_sigma0:", ""),
        ("train", "rule train:", ""),
        ("dataset", "rule dataset:", "results/dataset/.*.npz.*"),
    ],
    ids=["killed during the σ0 jobs", "killed during training", "killed while a training dataset is written"],
)
def test_a_killed_run_is_finished_by_the_plain_command_with_the_products_of_an_uninterrupted_run(
    repo, finished_demo_run, tmp_path, forced_rule, started, writing
):
    run = copy_run(finished_demo_run, tmp_path / "run")
    # Redo every job of the rule (and all that follows), as a change of their settings would.
    output = kill_when(repo, run, started, "--forcerun", forced_rule, "--", *FINAL_TARGETS, writing=writing)
    if writing:
        assert list(run.glob(writing)), "the kill left a half-written dataset"
    assert "Finished jobid" in output or started in output
    assert list((run / ".snakemake" / "locks").glob("*.lock")), "the killed run left its locks"

    resumed = run_snakemake(repo, run, *FINAL_TARGETS)
    assert resumed.returncode == 0, resumed.stderr[-6000:]
    assert "lock file(s) of an earlier run that is no longer alive" in resumed.stderr
    assert "--unlock" not in resumed.stderr
    # temporary files and folders (an unpacking product's); Snakemake marks a finished folder output
    # (results/s1/products/<scene>.SAFE) with its own .snakemake_timestamp
    leftovers = [p for p in (run / "results").rglob(".*") if p.name != ".snakemake_timestamp"]
    assert not leftovers, f"temporary files survived: {leftovers}"
    # the weights first: a model file also records how long each epoch took
    assert weights(run) == weights(finished_demo_run)
    for pattern in ("results/s1/sigma0/*.tif", "results/s1/indexes/*.tif", "results/ndvi_test.tif"):
        assert digests(run, pattern) == digests(finished_demo_run, pattern), pattern
    assert "Nothing to be done" in run_snakemake(repo, run, "--dry-run", *FINAL_TARGETS).stdout
