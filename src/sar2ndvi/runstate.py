"""What a workflow run leaves behind for the next one: a claim on the working directory and the
outputs of jobs that started but never finished.

Snakemake forgets two things that its users then pay for:

- After a run is killed (``kill -9``, a node lost), its lock files stay in ``.snakemake/locks``
  and the next run refuses to start until ``--unlock``. A run that holds :func:`claim_directory`
  (an ``flock`` the kernel drops when the process dies, however it dies) knows that no other
  run is alive in the directory, so the locks it finds are stale.
- When a job that a change made out of date fails, Snakemake removes its output; the next run
  then sees the products downstream of it still in place and reports nothing to do, over
  products of the old inputs. :class:`JobJournal` records the outputs of every job from its
  start until it finishes; the next run rebuilds those that are missing (and, through them,
  all that uses them) instead of forgetting them.

Both live in ``.snakemake/sar2ndvi/`` of the working directory and hold paths relative to it.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import re
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO

STATE_FOLDER = Path(".snakemake") / "sar2ndvi"
SNAKEMAKE_LOCKS = Path(".snakemake") / "locks"
JOURNAL = "unfinished_jobs.json"

# Snakemake's events (snakemake_interface_logger_plugins.common.LogEvent values)
WORKFLOW_STARTED = "workflow_started"
JOB_INFO = "job_info"
JOB_FINISHED = "job_finished"

log = logging.getLogger(__name__)

# How Snakemake's log records name a file: the path, then flags in parentheses.
_ANNOTATION = re.compile(r" \([^()]*\)$")


# Claims held by this process, by folder: a second claim on the same folder from this process
# (a workflow parsed twice) must find the first, since a second flock would wait for it.
_HELD: dict[Path, IO[str]] = {}


def claim_directory(workdir: str | Path = ".") -> bool:
    """Take an exclusive ``flock`` on ``.snakemake/sar2ndvi/run.lock`` of ``workdir`` until this process ends.

    Returns False if another live process holds it. The kernel drops the lock when its holder dies,
    however it dies, so holding it proves that no other run is alive in the directory.
    """
    path = (Path(workdir) / STATE_FOLDER / "run.lock").resolve()
    if path in _HELD:
        return True
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = open(path, "a+")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        return False
    handle.seek(0)
    handle.truncate()
    handle.write(f"pid {os.getpid()} since {time.strftime('%Y-%m-%dT%H:%M:%S')}\n")
    handle.flush()
    _HELD[path] = handle
    return True


def claim_holder(workdir: str | Path = ".") -> str:
    """Who holds the directory's claim, as its holder wrote it (empty if unknown)."""
    try:
        return (Path(workdir) / STATE_FOLDER / "run.lock").read_text().strip()
    except OSError:
        return ""


def clear_stale_locks(workdir: str | Path = ".") -> list[Path]:
    """Remove Snakemake's lock files in ``workdir``; call only while holding :func:`claim_directory`.

    Returns the files removed.
    """
    folder = Path(workdir) / SNAKEMAKE_LOCKS
    removed = sorted(p for p in folder.glob("*.lock") if p.is_file()) if folder.is_dir() else []
    for path in removed:
        path.unlink(missing_ok=True)
    return removed


def output_path(name: str) -> str:
    """A file as Snakemake's log records name it, without its flags (``results/x.tif (directory)``)."""
    return _ANNOTATION.sub("", str(name)).strip()


def partial_files(output: str | Path) -> list[Path]:
    """The temporaries a writer of ``output`` leaves beside it when it is killed: hidden ``.<name>.*`` files
    and folders (:func:`sar2ndvi.io.atomic_path`, products being unpacked)."""
    output = Path(output)
    if not output.parent.is_dir():
        return []
    return sorted(output.parent.glob(f".{output.name}.*"))


def remove_partial_files(outputs: list[str], workdir: str | Path = ".") -> list[Path]:
    """Remove the temporaries of ``outputs`` (paths relative to ``workdir``); return what was removed."""
    removed = []
    for output in outputs:
        for path in partial_files(Path(workdir) / output):
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)
            removed.append(path)
    return removed


class JobJournal(logging.Handler):
    """Records, in ``.snakemake/sar2ndvi/unfinished_jobs.json``, the outputs of jobs that started and did not finish.

    Attach it to Snakemake's logger (``snakemake.logging``) in the main process: a job's outputs
    are recorded when Snakemake announces the job and dropped when it reports the job finished, so
    what remains after a run are the outputs of jobs that failed or were cut off by a kill.

    Args:
        workdir: the workflow's working directory; output paths are relative to it.
        dry_run: tells, when a job is announced, whether the run is a dry run (nothing is recorded then).
        on_start: called when Snakemake starts the workflow (its settings are final, its jobs not yet
            planned) with the outputs of :meth:`unfinished`.
        on_partial_files: called then with the temporaries of the recorded jobs (a killed job's
            half-written files), which are removed first.
    """

    def __init__(
        self,
        workdir: str | Path = ".",
        dry_run: Callable[[], bool] = lambda: False,
        on_start: Callable[[list[str]], None] | None = None,
        on_partial_files: Callable[[list[Path]], None] | None = None,
    ) -> None:
        super().__init__(level=logging.DEBUG)
        self.workdir = Path(workdir)
        self.path = self.workdir / STATE_FOLDER / JOURNAL
        self.dry_run = dry_run
        self.on_start = on_start
        self.on_partial_files = on_partial_files
        self._running: dict[object, list[str]] = {}
        try:
            self._entries: dict[str, dict] = json.loads(self.path.read_text())
        except (OSError, ValueError):
            self._entries = {}

    def recorded(self) -> dict[str, dict]:
        """Output path → {rule, since} of every recorded output."""
        return dict(self._entries)

    def _save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}")
        tmp.write_text(json.dumps(self._entries, indent=1, sort_keys=True))
        os.replace(tmp, self.path)

    def emit(self, record: logging.LogRecord) -> None:
        event = getattr(record, "event", None)
        try:
            if event == WORKFLOW_STARTED:
                if not self.dry_run():
                    # while this run holds the directory, no writer of a recorded output is alive
                    removed = remove_partial_files(list(self._entries), self.workdir)
                    if removed and self.on_partial_files is not None:
                        self.on_partial_files(removed)
                if self.on_start is not None:
                    self.on_start(self.unfinished())
            elif event == JOB_INFO and not self.dry_run():
                outputs = [output_path(name) for name in getattr(record, "output", None) or []]
                self._running[getattr(record, "jobid", None)] = outputs
                since = time.strftime("%Y-%m-%dT%H:%M:%S")
                rule = getattr(record, "rule_name", "")
                self._entries.update({path: {"rule": rule, "since": since} for path in outputs})
                self._save()
            elif event == JOB_FINISHED:
                outputs = self._running.pop(getattr(record, "job_id", None), [])
                if outputs:
                    for path in outputs:
                        self._entries.pop(path, None)
                    self._save()
        except OSError:
            self.handleError(record)

    def unfinished(self) -> list[str]:
        """Recorded outputs that do not exist: of jobs that failed or were killed, their outputs gone.

        Recorded outputs that exist are dropped from the journal: a run killed while writing them
        leaves Snakemake's own incomplete markers, which ``--rerun-incomplete`` acts on.
        """
        missing = {path: entry for path, entry in self._entries.items() if not (self.workdir / path).exists()}
        if missing != self._entries:
            self._entries = missing
            self._save()
        return sorted(missing)


__all__ = [
    "JobJournal",
    "claim_directory",
    "claim_holder",
    "clear_stale_locks",
    "output_path",
    "partial_files",
    "remove_partial_files",
]
