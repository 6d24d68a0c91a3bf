"""Running the workflow as its users do, in scratch working directories, and reading what it planned or ran."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import yaml

TESTS = Path(__file__).resolve().parent
TEST_CONFIGS = TESTS.parent / "config" / "test"
SMALL_DEMO_CONFIG = TEST_CONFIGS / "small.yaml"
FINAL_TARGETS = ("results/ndvi_test.tif", "results/metrics.json")

# Set for every workflow run of the tests: no job may copy them into a log, an output, its tags or
# Snakemake's records.
FAKE_SECRETS = {
    "EARTHDATA_TOKEN": "fake-edl-token-e2e-7f3a91c4",
    "EARTHDATA_USERNAME": "fake-edl-user-e2e",
    "EARTHDATA_PASSWORD": "fake-edl-pass-e2e-55c2d0",
    "PL_API_KEY": "PLAKfake0e2e93b1d4e5",
    "EE_PRIVATE_KEY": "fake-ee-private-key-e2e-0c9a",
}


def snakemake_command(repo: Path, workdir: Path, *args: str, cores: int | None = 2) -> list[str]:
    """The repository's workflow in ``workdir`` with its ``config.yaml``, the way the README runs it.

    ``cores=None`` leaves the number of cores to a profile (a cluster's).
    """
    return [
        sys.executable,
        "-m",
        "snakemake",
        "--snakefile",
        str(repo / "Snakefile"),
        "--directory",
        str(workdir),
        f"--configfile={workdir / 'config.yaml'}",
        *(("--cores", str(cores)) if cores else ()),
        *args,
    ]


def run_snakemake(
    repo: Path, workdir: Path, *args: str, env: dict | None = None, timeout: int = 1800, cores: int | None = 2
) -> subprocess.CompletedProcess:
    """Run the workflow; its terminal output is kept in ``workdir/snakemake_terminal.txt`` too."""
    environment = {**os.environ, **FAKE_SECRETS, **(env or {})}
    command = snakemake_command(repo, workdir, *args, cores=cores)
    result = subprocess.run(command, capture_output=True, text=True, timeout=timeout, env=environment)
    with open(workdir / "snakemake_terminal.txt", "a") as terminal:
        terminal.write(result.stdout + result.stderr)
    return result


def write_config(workdir: Path, *overrides: dict | Path, base: Path = SMALL_DEMO_CONFIG) -> dict:
    """``workdir/config.yaml``: the small demo config with ``overrides`` merged in, section by section.

    An override is a dict or an overlay file of ``config/test/``, merged as Snakemake merges the
    files given to ``--configfile``.
    """
    config = yaml.safe_load(base.read_text())
    for override in overrides:
        if isinstance(override, Path):
            override = yaml.safe_load(override.read_text())
        config = merged(config, override)
    (workdir / "config.yaml").write_text(yaml.safe_dump(config))
    return config


def merged(base: dict, override: dict) -> dict:
    out = dict(base)
    for key, value in override.items():
        out[key] = merged(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
    return out


def copy_run(source: Path, destination: Path) -> Path:
    """A finished run moved elsewhere: every file, with its modification time, at a new absolute path."""
    shutil.copytree(source, destination, symlinks=True)
    return destination


@dataclass(frozen=True, order=True)
class Job:
    """One job of a Snakemake plan or run: its rule and wildcards (``name=value, …``, sorted by name)."""

    rule: str
    wildcards: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "wildcards", ", ".join(sorted(w.strip() for w in self.wildcards.split(",") if w)))

    def __str__(self) -> str:
        return f"{self.rule}[{self.wildcards}]" if self.wildcards else self.rule


#: The searches of the default config, and the arguments that run them again before the targets.
SEARCHES = {Job("s1_search"), Job("optical_search", "sensor=sentinel2"), Job("optical_search", "sensor=planet")}
SEARCH_AGAIN = ("--forcerun", "s1_search", "optical_search", "--")

_JOB_HEADER = re.compile(r"^\s*(?:local)?(?:rule|checkpoint) (\w+):\s*$")
_WILDCARDS = re.compile(r"^\s+wildcards: (.*)$")


def jobs_of(output: str) -> list[Job]:
    """The jobs Snakemake announced in ``output`` (a dry run's plan, or the jobs a run started), in order."""
    jobs: list[Job] = []
    for line in output.splitlines():
        header = _JOB_HEADER.match(line)
        if header:
            jobs.append(Job(header.group(1)))
            continue
        wildcards = _WILDCARDS.match(line)
        if wildcards and jobs and not jobs[-1].wildcards:
            jobs[-1] = Job(jobs[-1].rule, wildcards.group(1).strip())
    return jobs


def job_set(result: subprocess.CompletedProcess) -> set[Job]:
    return set(jobs_of(result.stdout + result.stderr))


def scene_jobs(scenes, rules=("s1_download", "s1_sigma0", "sar_indexes")) -> set[Job]:
    """The per-scene chain's jobs of ``scenes``."""
    return {Job(rule, f"scene={scene}") for scene in scenes for rule in rules}


def listing(jobs: set[Job]) -> str:
    """Jobs one per line, sorted (for messages and for the record of what a run did)."""
    return "\n".join(str(job) for job in sorted(jobs)) or "(no job)"
