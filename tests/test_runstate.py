"""What a run leaves for the next: a claim that dies with its holder, and the outputs of unfinished jobs."""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
from pathlib import Path

from sar2ndvi.runstate import JobJournal, claim_directory, claim_holder, clear_stale_locks

HOLD = """
import sys, time
from sar2ndvi.runstate import claim_directory
print(claim_directory(sys.argv[1]), flush=True)
time.sleep(60)
"""


def holder(workdir: Path) -> subprocess.Popen:
    process = subprocess.Popen([sys.executable, "-c", HOLD, str(workdir)], stdout=subprocess.PIPE, text=True)
    assert process.stdout.readline().strip() == "True"
    return process


def test_a_directory_claimed_by_a_live_run_cannot_be_claimed_and_is_free_once_that_run_is_killed(tmp_path):
    other = holder(tmp_path)
    try:
        assert not claim_directory(tmp_path)
        assert claim_holder(tmp_path).startswith(f"pid {other.pid} ")
    finally:
        os.kill(other.pid, signal.SIGKILL)
        other.wait()
    assert claim_directory(tmp_path)
    assert claim_directory(tmp_path), "a second claim from the same process finds the first"
    assert claim_holder(tmp_path).startswith(f"pid {os.getpid()} ")


def test_stale_snakemake_locks_are_removed_and_nothing_else(tmp_path):
    locks = tmp_path / ".snakemake" / "locks"
    locks.mkdir(parents=True)
    for name in ("0.input.lock", "0.output.lock"):
        (locks / name).write_text("results/x.tif\n")
    (tmp_path / ".snakemake" / "metadata").mkdir()
    removed = clear_stale_locks(tmp_path)
    assert sorted(p.name for p in removed) == ["0.input.lock", "0.output.lock"]
    assert list(locks.iterdir()) == [] and (tmp_path / ".snakemake" / "metadata").is_dir()
    assert clear_stale_locks(tmp_path / "elsewhere") == []


def event(name: str, **fields) -> logging.LogRecord:
    record = logging.LogRecord("snakemake.logging", logging.INFO, __file__, 0, name, None, None)
    record.__dict__.update(event=name, **fields)
    return record


def test_the_journal_keeps_the_outputs_of_jobs_that_started_and_never_finished(tmp_path):
    journal = JobJournal(tmp_path)
    journal.emit(event("job_info", jobid=1, rule_name="s1_sigma0", output=["results/s1/sigma0/a.tif"]))
    journal.emit(event("job_info", jobid=2, rule_name="report", output=["results/report/maps (directory)"]))
    journal.emit(event("job_info", jobid=3, rule_name="dem", output=["results/dem/heights.tif"]))
    journal.emit(event("job_finished", job_id=2))
    # a new run reads what this one left: job 1 failed, job 3 was cut off by a kill
    assert sorted(json.loads(journal.path.read_text())) == ["results/dem/heights.tif", "results/s1/sigma0/a.tif"]
    (tmp_path / "results/dem").mkdir(parents=True)
    (tmp_path / "results/dem/heights.tif").write_bytes(b"written before the kill")
    assert JobJournal(tmp_path).unfinished() == ["results/s1/sigma0/a.tif"]
    assert sorted(json.loads(journal.path.read_text())) == ["results/s1/sigma0/a.tif"]


def test_a_dry_run_records_nothing_and_the_start_of_a_run_hands_over_the_unfinished_outputs(tmp_path):
    JobJournal(tmp_path).emit(event("job_info", jobid=7, rule_name="train", output=["results/models/m/pretrain.pt"]))
    seen: list[list[str]] = []
    journal = JobJournal(tmp_path, dry_run=lambda: True, on_start=seen.append)
    journal.emit(event("workflow_started"))
    journal.emit(event("job_info", jobid=1, rule_name="predict", output=["results/ndvi_test.tif"]))
    assert seen == [["results/models/m/pretrain.pt"]]
    assert list(json.loads(journal.path.read_text())) == ["results/models/m/pretrain.pt"]


def test_records_of_other_events_and_other_loggers_change_nothing(tmp_path):
    journal = JobJournal(tmp_path)
    journal.emit(logging.LogRecord("x", logging.INFO, __file__, 0, "plain message", None, None))
    journal.emit(event("job_finished", job_id=99))
    assert not journal.path.exists()


def test_a_new_run_removes_the_half_written_files_of_jobs_cut_off_and_nothing_else(tmp_path):
    JobJournal(tmp_path).emit(event("job_info", jobid=4, rule_name="dataset", output=["results/dataset/pretrain.npz"]))
    folder = tmp_path / "results/dataset"
    folder.mkdir(parents=True)
    partial = folder / ".pretrain.npz.k2x9_a.npz"  # as io.atomic_path names it
    partial.write_bytes(b"\0" * 1024)
    unpacking = folder / ".pretrain.npz.unpacking-3f"
    unpacking.mkdir()
    kept = [folder / "finetune.npz", folder / ".finetune.npz.x1.npz", folder / "pretrain.json"]
    for path in kept:
        path.write_bytes(b"kept")
    told: list[list] = []
    journal = JobJournal(tmp_path, on_partial_files=told.append)
    journal.emit(event("workflow_started"))
    assert not partial.exists() and not unpacking.exists()
    assert all(path.exists() for path in kept), "only the recorded job's temporaries go"
    assert sorted(told[0]) == sorted([partial, unpacking])


def test_a_dry_run_removes_nothing(tmp_path):
    JobJournal(tmp_path).emit(event("job_info", jobid=4, rule_name="dataset", output=["results/x.npz"]))
    (tmp_path / "results").mkdir()
    partial = tmp_path / "results/.x.npz.abc.npz"
    partial.write_bytes(b"\0")
    JobJournal(tmp_path, dry_run=lambda: True).emit(event("workflow_started"))
    assert partial.exists()
