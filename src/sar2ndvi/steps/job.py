"""The job a step's script runs: Snakemake's, or one described on the command line.

Every script under ``workflow/scripts`` unpacks its job and calls one function of
:mod:`sar2ndvi.steps`. Under Snakemake the job is the ``snakemake`` object; run from the shell, the
same script reads it from its arguments, so any step can be run and debugged on its own::

    python workflow/scripts/sar_indexes.py \\
        --input sigma0=results/s1/sigma0/S1A_….tif grid=results/grid/pretrain.json \\
        --output /tmp/indexes.tif --wildcards scene=S1A_…

``--params`` values are JSON (a value that is not JSON is kept as text); ``--config`` names a
config YAML (the workflow's defaults, ``config/config.yaml``, when omitted).
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from sar2ndvi.runlog import configure

DEFAULT_CONFIG = Path(__file__).resolve().parents[3] / "config" / "config.yaml"


class Named(Sequence):
    """Values in order, also reachable by name (``files.grid``, ``files[0]``, ``files.get("orbit")``)."""

    def __init__(self, items: Sequence[tuple[str | None, Any]] = ()) -> None:
        self._values = [value for _, value in items]
        self._names = {name: value for name, value in items if name}

    def __getitem__(self, key):  # type: ignore[override]
        return self._names[key] if isinstance(key, str) else self._values[key]

    def __getattr__(self, name: str) -> Any:
        try:
            return self.__dict__["_names"][name]
        except KeyError:
            raise AttributeError(name) from None

    def __len__(self) -> int:
        return len(self._values)

    def __iter__(self) -> Iterator[Any]:
        return iter(self._values)

    def get(self, name: str, default: Any = None) -> Any:
        return self._names.get(name, default)

    def keys(self):
        return self._names.keys()

    def items(self):
        return self._names.items()


@dataclass
class Job:
    """What a step needs from its rule: files in and out, params, wildcards, threads, the config, a log."""

    input: Named
    output: Named
    params: Named = field(default_factory=Named)
    wildcards: Named = field(default_factory=Named)
    log: Named = field(default_factory=Named)
    threads: int = 1
    config: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def from_argv(cls, argv: Sequence[str] | None = None, description: str | None = None) -> Job:
        """The job described by command-line arguments (see the module's docstring)."""
        parser = argparse.ArgumentParser(description=description)
        parser.add_argument("--input", nargs="*", default=[], metavar="[NAME=]PATH")
        parser.add_argument("--output", nargs="+", required=True, metavar="[NAME=]PATH")
        parser.add_argument("--params", nargs="*", default=[], metavar="NAME=JSON")
        parser.add_argument("--wildcards", nargs="*", default=[], metavar="NAME=VALUE")
        parser.add_argument("--threads", type=int, default=1)
        parser.add_argument("--config", type=Path, default=DEFAULT_CONFIG, help="config YAML")
        parser.add_argument("--log", help="log file (default: the terminal only)")
        args = parser.parse_args(argv)
        return cls(
            input=_named(args.input),
            output=_named(args.output),
            params=Named([(name, _json_or_text(value)) for name, value in _pairs(args.params)]),
            wildcards=Named(_pairs(args.wildcards)),
            log=Named([(None, args.log)] if args.log else []),
            threads=args.threads,
            config=yaml.safe_load(args.config.read_text()),
        )


def current_job(namespace: Mapping[str, Any], description: str | None = None) -> Any:
    """The job of the script whose globals are ``namespace``, its log configured.

    Snakemake's ``snakemake`` object where Snakemake runs the script, else a :class:`Job` from the
    command line. Either has ``input``, ``output``, ``params``, ``wildcards``, ``log``, ``threads``
    and ``config``.
    """
    job = namespace.get("snakemake") or Job.from_argv(description=description)
    configure(job.log[0] if len(job.log) else None, outputs=list(job.output))
    return job


def as_paths(value: str | Path | Sequence[str | Path]) -> list[str]:
    """A list of paths from one path or several (a name given once on the command line is one path)."""
    if isinstance(value, (str, Path)):
        return [str(value)]
    return [str(v) for v in value]


def _pairs(items: Sequence[str]) -> list[tuple[str, str]]:
    pairs = []
    for item in items:
        name, sep, value = item.partition("=")
        if not sep:
            raise SystemExit(f"expected NAME=VALUE, got {item!r}")
        pairs.append((name, value))
    return pairs


def _named(items: Sequence[str]) -> Named:
    """Paths, named or not; a name given several times names the list of its paths."""
    grouped: dict[str, list[str]] = {}
    entries: list[tuple[str | None, Any]] = []
    for item in items:
        name, sep, value = item.partition("=")
        if not sep:
            entries.append((None, item))
        elif name in grouped:
            grouped[name].append(value)
        else:
            grouped[name] = [value]
            entries.append((name, grouped[name]))
    return Named([(name, value[0] if name and len(value) == 1 else value) for name, value in entries])


def _json_or_text(value: str) -> Any:
    try:
        return json.loads(value)
    except json.JSONDecodeError:
        return value
