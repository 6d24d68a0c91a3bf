"""A SLURM cluster as the workflow's tests see it: whether one answers, and what it says of its jobs."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import threading
import time
from pathlib import Path

import pytest

REQUIRED = "SAR2NDVI_REQUIRE_SLURM"
START_HINT = "bash tools/slurm_cluster.sh install && bash tools/slurm_cluster.sh start"


def cluster_answers() -> bool:
    if not shutil.which("sinfo"):
        return False
    result = subprocess.run(["sinfo", "--noheader", "--format=%T"], capture_output=True, text=True)
    return result.returncode == 0 and bool(result.stdout.strip())


def require_cluster() -> None:
    """Skip without a cluster, unless the environment says one must be there (CI): then fail."""
    if cluster_answers():
        return
    if os.environ.get(REQUIRED):
        pytest.fail(f"{REQUIRED} is set but no SLURM cluster answers sinfo (start one: {START_HINT})")
    pytest.skip(f"no SLURM cluster answers sinfo (start a single-node one: {START_HINT})")


def show_job(job_id: str) -> dict[str, str]:
    """``scontrol show job`` as key → value (empty while SLURM no longer knows the job)."""
    result = subprocess.run(["scontrol", "show", "job", "--oneliner", job_id], capture_output=True, text=True)
    if result.returncode != 0:
        return {}
    return dict(re.findall(r"(\w[\w/:]*)=(\S*)", result.stdout))


FINAL_STATES = {"COMPLETED", "CANCELLED", "FAILED", "TIMEOUT", "OUT_OF_MEMORY", "NODE_FAIL", "PREEMPTED"}


class JobWatcher(threading.Thread):
    """Polls squeue, keeps the latest ``scontrol show job`` of every job of ``workdir`` seen (until its final
    state), and can act on a job once."""

    def __init__(self, workdir: Path, interval: float = 0.5) -> None:
        super().__init__(daemon=True)
        self.workdir = str(workdir)
        self.interval = interval
        self.jobs: dict[str, dict[str, str]] = {}
        self.actions: list = []  # (predicate(record) -> bool, action(job_id, record))
        self._stopping = threading.Event()

    def run(self) -> None:
        while not self._stopping.is_set():
            listed = subprocess.run(
                ["squeue", "--noheader", "--states=all", "--format=%i"], capture_output=True, text=True
            )
            for job_id in listed.stdout.split():
                if self.jobs.get(job_id, {}).get("JobState") in FINAL_STATES:
                    continue
                record = show_job(job_id)
                if record and record.get("WorkDir") == self.workdir:
                    self.jobs[job_id] = record
                    for action in list(self.actions):
                        if action[0](record):
                            self.actions.remove(action)
                            action[1](job_id, record)
            time.sleep(self.interval)

    def stop(self) -> None:
        self._stopping.set()
        self.join()
