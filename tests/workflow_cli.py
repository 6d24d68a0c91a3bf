"""The Snakemake command line that the workflow tests run, in a scratch working directory."""

from __future__ import annotations

import sys
from pathlib import Path


def snakemake_command(repo: Path, workdir: Path, *args: str) -> list[str]:
    """Run the repository's workflow in ``workdir`` with ``workdir/config.yaml`` on 2 cores."""
    return [
        sys.executable,
        "-m",
        "snakemake",
        "--snakefile",
        str(repo / "Snakefile"),
        "--directory",
        str(workdir),
        "--configfile",
        str(workdir / "config.yaml"),
        "--cores",
        "2",
        *args,
    ]
