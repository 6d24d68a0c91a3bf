"""Per-scene overhead of the SLURM profile: one cluster job per scene (download → σ0 → indexes, a job
group) against one cluster job per step, on a running SLURM cluster (tools/slurm_cluster.sh start).

For each layout the per-scene chain of N scenes of the small demo study is run through
``--profile profiles/slurm``; SLURM's own record of every job (``scontrol show job``: start and end)
gives the node time the jobs held, and the jobs' Snakemake benchmark files the time their work took.
The overhead per scene is the difference, divided by N: what starting Snakemake in each job costs.

Usage: ``python3 benchmarks/slurm_scene_overhead.py [--scenes 8] [--keep DIR]``
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

import pandas as pd
import yaml

REPO = Path(__file__).resolve().parents[1]
CHAIN = ("s1_download", "s1_sigma0", "sar_indexes")
LAYOUTS = {
    "one job per scene (job group)": (),
    "one job per step": ("--groups", *(f"{rule}={rule}" for rule in CHAIN), "--"),
}


def snakemake(workdir: Path, *args: str) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "snakemake", "--snakefile", str(REPO / "Snakefile"), "--directory", str(workdir)]
    result = subprocess.run(
        [*command, f"--configfile={workdir / 'config.yaml'}", *args], capture_output=True, text=True
    )
    if result.returncode != 0:
        raise SystemExit(result.stderr[-4000:])
    return result


def held_seconds(job_id: str) -> float:
    """Seconds from start to end of a finished SLURM job, as SLURM records them."""
    record = subprocess.run(["scontrol", "show", "job", "--oneliner", job_id], capture_output=True, text=True).stdout
    times = dict(re.findall(r"(StartTime|EndTime)=(\S+)", record))
    start, end = (datetime.fromisoformat(times[key]) for key in ("StartTime", "EndTime"))
    return (end - start).total_seconds()


def work_seconds(workdir: Path, scenes: list[str]) -> float:
    return sum(
        float(pd.read_csv(workdir / f"results/benchmarks/{rule}/{scene}.tsv", sep="\t")["s"].iloc[-1])
        for rule in CHAIN
        for scene in scenes
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenes", type=int, default=8)
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it")
    args = parser.parse_args(argv)
    if shutil.which("sinfo") is None or subprocess.run(["sinfo"], capture_output=True).returncode != 0:
        raise SystemExit("no SLURM cluster answers sinfo; start one: bash tools/slurm_cluster.sh start")
    workdir = args.keep or Path(tempfile.mkdtemp(prefix="slurm_overhead_"))
    workdir.mkdir(parents=True, exist_ok=True)
    shutil.copy(REPO / "config/test/small.yaml", workdir / "config.yaml")
    # the inputs every scene needs, built locally once
    snakemake(workdir, "--cores", "2", "results/s1/scenes.csv", "results/dem/heights.tif", "results/grid/pretrain.json")
    scenes = list(pd.read_csv(workdir / "results/s1/scenes.csv")["scene"])[: args.scenes]
    targets = [f"results/s1/indexes/{scene}.tif" for scene in scenes]
    cluster = ("--profile", str(REPO / "profiles/slurm"), "--slurm-init-seconds-before-status-checks", "2")
    config = yaml.safe_load((workdir / "config.yaml").read_text())
    print(f"{len(scenes)} scenes of the small demo study ({config['study']['start']} to {config['study']['end']})")
    print(f"{'layout':<32} {'jobs':>5} {'wall s':>8} {'node s':>8} {'work s':>8} {'overhead s/scene':>17}")
    for layout, extra in LAYOUTS.items():
        for folder in ("products", "sigma0", "indexes"):
            shutil.rmtree(workdir / "results/s1" / folder, ignore_errors=True)
        started = time.monotonic()
        result = snakemake(workdir, *cluster, *extra, *targets)
        wall = time.monotonic() - started
        jobs = re.findall(r"has been submitted with SLURM jobid (\d+)", result.stderr)
        node = sum(held_seconds(job) for job in jobs)
        work = work_seconds(workdir, scenes)
        print(
            f"{layout:<32} {len(jobs):>5} {wall:>8.0f} {node:>8.0f} {work:>8.1f} {(node - work) / len(scenes):>17.1f}"
        )
    if not args.keep:
        shutil.rmtree(workdir)
    return 0


if __name__ == "__main__":
    sys.exit(main())
