"""The SLURM profile on a real SLURM cluster: the README's cluster command, unchanged, on the small demo study.

Needs a cluster that answers ``sinfo``; CI starts a single-node one (tools/slurm_cluster.sh) and sets
SAR2NDVI_REQUIRE_SLURM, so that a missing cluster fails instead of skipping. What the cluster did
(jobs submitted, the SLURM records of a σ0 job and a training job, the cancellation and the rerun)
is written to the file named by SAR2NDVI_SLURM_REPORT (CI prints it).
"""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
from slurm_cluster import JobWatcher, require_cluster
from workflow_cli import FINAL_TARGETS, run_snakemake, write_config

from sar2ndvi.runstate import JOURNAL, STATE_FOLDER

pytestmark = pytest.mark.slow

# The status poll is made faster than the profile's (40 s) only to keep CI short.
FAST_POLL = ("--slurm-init-seconds-before-status-checks", "3")
SCONTROL_KEYS = (
    "JobId",
    "JobState",
    "Comment",
    "NumCPUs",
    "CPUs/Task",
    "MinMemoryNode",
    "TimeLimit",
    "TRES",
    "Partition",
    "StdOut",
)


def cluster_args(repo: Path) -> tuple[str, ...]:
    return ("--profile", str(repo / "profiles" / "slurm"), *FAST_POLL)


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def submitted(output: str) -> list[str]:
    return re.findall(r"has been submitted with SLURM jobid (\d+)", output)


def record_line(record: dict[str, str]) -> str:
    return " ".join(f"{key}={record.get(key, '')}" for key in SCONTROL_KEYS)


@pytest.fixture(scope="module")
def cluster_run(repo, tmp_path_factory):
    """The demo study through the SLURM profile; one σ0 job is scancelled while it runs, then the command is rerun."""
    require_cluster()
    workdir = tmp_path_factory.mktemp("slurm") / "run"
    workdir.mkdir()
    write_config(workdir)
    watcher = JobWatcher(workdir)
    cancelled: dict = {}

    def computing_sigma0(record: dict) -> bool:
        """A scene's job, running, whose σ0 step has started (the step's own log file exists)."""
        if "group_s1_scene" not in record.get("StdOut", "") or record.get("JobState") != "RUNNING":
            return False
        log = Path(record["StdOut"])
        scene = re.search(r"results/s1/sigma0/(S1\w+)\.tif", log.read_text()) if log.is_file() else None
        return bool(scene) and (workdir / "logs" / "s1_sigma0" / f"{scene.group(1)}.log").is_file()

    def cancel(job_id: str, record: dict) -> None:
        subprocess.run(["scancel", job_id], check=True)
        cancelled.update(job_id=job_id, record=record)

    watcher.actions.append((computing_sigma0, cancel))
    watcher.start()
    started = time.monotonic()
    first = run_snakemake(repo, workdir, *cluster_args(repo), *FINAL_TARGETS, cores=None)
    first_seconds = time.monotonic() - started
    # temporary files and folders (an unpacking product's); Snakemake marks a finished folder output
    # (results/s1/products/<scene>.SAFE) with its own .snakemake_timestamp
    leftovers = [p for p in (workdir / "results").rglob(".*") if p.name != ".snakemake_timestamp"]
    journal_path = workdir / STATE_FOLDER / JOURNAL
    journal = journal_path.read_text() if journal_path.exists() else ""
    started = time.monotonic()
    second = run_snakemake(repo, workdir, *cluster_args(repo), *FINAL_TARGETS, cores=None)
    second_seconds = time.monotonic() - started
    watcher.stop()
    return SimpleNamespace(
        workdir=workdir,
        first=first,
        second=second,
        seconds=(first_seconds, second_seconds),
        cancelled=cancelled,
        jobs=watcher.jobs,
        leftovers=leftovers,
        journal_after_cancel=journal,
    )


def test_the_cluster_run_survives_a_cancelled_job_and_equals_the_local_run(cluster_run, finished_demo_run):
    run = cluster_run
    assert run.cancelled, "no σ0 job was seen running"
    cancelled_id = run.cancelled["job_id"]
    assert run.first.returncode != 0 and cancelled_id in run.first.stderr
    assert not run.leftovers, f"the cancelled job left partial files: {run.leftovers}"
    assert "results/s1/sigma0/" in run.journal_after_cancel, "the cancelled job's outputs are recorded for the rerun"
    assert run.second.returncode == 0, run.second.stderr[-6000:]
    for pattern in ("results/s1/sigma0/*.tif", "results/s1/indexes/*.tif", "results/ndvi_test.tif"):
        local = {p.name: digest(p) for p in sorted(finished_demo_run.glob(pattern))}
        cluster = {p.name: digest(p) for p in sorted(run.workdir.glob(pattern))}
        assert local and cluster == local, f"{pattern} differs from the local run"
    write_report(run, finished_demo_run)


def test_each_scene_is_one_cluster_job_and_training_asks_for_its_threads_memory_and_time(cluster_run):
    records = list(cluster_run.jobs.values())
    scene_jobs = [r for r in records if "group_s1_scene" in r.get("StdOut", "")]
    training = [r for r in records if "rule_train" in r.get("StdOut", "")]
    scenes = len(list(cluster_run.workdir.glob("results/s1/indexes/*.tif")))
    # every scene once, and the cancelled one again
    assert len(scene_jobs) == scenes + 1
    assert not [r for r in records if re.search(r"rule_(s1_download|s1_sigma0|sar_indexes)", r.get("StdOut", ""))]
    sigma0 = scene_jobs[0]
    assert sigma0["CPUs/Task"] == "1" and sigma0["MinMemoryNode"] == "2000M" and sigma0["TimeLimit"] == "01:40:00"
    assert len(training) == 2
    for record in training:
        assert record["CPUs/Task"] == "2" and record["MinMemoryNode"] == "8000M" and record["TimeLimit"] == "12:00:00"
        assert "gpu" not in record["TRES"], "model.device is not cuda: no GPU is asked for"


@pytest.mark.parametrize(
    "override, refusal",
    [
        (("--set-threads", "demo_store=64"), "More processors requested than permitted"),
        (("--set-resources", "demo_store:mem_mb=100000000"), "Memory specification can not be satisfied"),
        (("--set-resources", "demo_store:gpu=1"), "Invalid generic resource"),
    ],
    ids=["more CPUs than a node has", "more memory than a node has", "a GPU on a cluster without one"],
)
def test_a_job_no_node_can_run_is_refused_at_submission_not_left_waiting(repo, tmp_path, override, refusal):
    require_cluster()
    write_config(tmp_path)
    started = time.monotonic()
    result = run_snakemake(
        repo, tmp_path, *cluster_args(repo), *override, "--", "resources/demo/STORE.json", cores=None, timeout=300
    )
    assert result.returncode != 0 and refusal in result.stderr
    assert "sbatch" in result.stderr and time.monotonic() - started < 120


def write_report(run, finished_demo_run) -> None:
    path = Path(os.environ.get("SAR2NDVI_SLURM_REPORT", run.workdir / "slurm_report.txt"))
    records = list(run.jobs.values())
    first_ids, second_ids = submitted(run.first.stderr), submitted(run.second.stderr)
    states: dict[str, int] = {}
    for record in records:
        states[record.get("JobState", "?")] = states.get(record.get("JobState", "?"), 0) + 1
    sigma0 = next(r for r in records if "group_s1_scene" in r.get("StdOut", "") and r.get("JobState") == "COMPLETED")
    training = next(r for r in records if "rule_train" in r.get("StdOut", "") and r.get("JobState") == "COMPLETED")
    lines = [
        "SLURM profile, small demo study (config/test/small.yaml)",
        f"first run: {len(first_ids)} SLURM jobs submitted, {run.seconds[0]:.0f} s, exit {run.first.returncode}",
        f"scancel {run.cancelled['job_id']} while its σ0 step ran: {record_line(run.cancelled['record'])}",
        f"rerun of the same command: {len(second_ids)} SLURM jobs submitted, {run.seconds[1]:.0f} s, "
        f"exit {run.second.returncode}",
        f"final SLURM states of the {len(records)} jobs: {states}",
        f"scontrol show job (download, σ0 and indexes of one scene): {record_line(sigma0)}",
        f"scontrol show job (training): {record_line(training)}",
        f"results/ndvi_test.tif sha256 {digest(run.workdir / 'results/ndvi_test.tif')} (cluster), "
        f"{digest(finished_demo_run / 'results/ndvi_test.tif')} (local)",
    ]
    path.write_text("\n".join(lines) + "\n")
