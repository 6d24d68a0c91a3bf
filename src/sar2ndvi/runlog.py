"""Logging for workflow jobs: one log file per job, plus the terminal."""

from __future__ import annotations

import errno
import logging
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path

from sar2ndvi.sources.credentials import RedactingFilter


def configure(
    log_path: str | Path | None, level: int = logging.INFO, outputs: Sequence[str | Path] = ()
) -> logging.Logger:
    """Send the package's log records to ``log_path`` (created) and to stderr; return the root logger.

    An exception that ends the process is written to the log file too (the terminal gets Python's
    own traceback), so a failed job's log says why it failed; one caused by a full disk is followed
    by what to do, naming the disk that holds ``outputs``.
    """
    root = logging.getLogger()
    root.setLevel(level)
    for handler in list(root.handlers):
        root.removeHandler(handler)
    fmt = logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s", "%Y-%m-%dT%H:%M:%S")
    handlers: list[logging.Handler] = [logging.StreamHandler(sys.stderr)]
    if log_path is not None:
        Path(log_path).parent.mkdir(parents=True, exist_ok=True)
        handlers.append(logging.FileHandler(log_path, mode="w"))
    for handler in handlers:
        handler.setFormatter(fmt)
        # secrets of the environment never reach a terminal or a log file
        handler.addFilter(RedactingFilter())
        root.addHandler(handler)
    logging.captureWarnings(True)
    files = [h for h in handlers if isinstance(h, logging.FileHandler)]
    sys.excepthook = _log_then(files, handlers, list(outputs), sys.__excepthook__)
    return root


def _log_then(files: list[logging.Handler], handlers: list[logging.Handler], outputs: list[str | Path], hook):
    def excepthook(kind, error, traceback):
        if not issubclass(kind, KeyboardInterrupt):
            record = logging.LogRecord(
                "sar2ndvi", logging.ERROR, "", 0, "%s: %s", (kind.__name__, error), (kind, error, traceback)
            )
            for handler in files:
                handler.handle(record)
                handler.flush()
        hook(kind, error, traceback)
        advice = disk_full_advice(error, outputs)
        if advice:
            record = logging.LogRecord("sar2ndvi", logging.ERROR, "", 0, "%s", (advice,), None)
            for handler in handlers:
                handler.handle(record)
                handler.flush()

    return excepthook


#: below this many free bytes, a failed write is taken for a full disk (GDAL often reports only "write error")
LOW_SPACE_BYTES = 100 * 2**20


def disk_full_advice(error: BaseException, outputs: Sequence[str | Path] = ()) -> str | None:
    """What to do about an error caused by a full disk (None for any other error).

    The error is a full disk when it, or an error it was raised from, is ``ENOSPC`` or GDAL's
    refusal to write a file larger than the free space; or when it is a failed write (libtiff's
    "Write error", rasterio's "Write failed") and the disk has less than :data:`LOW_SPACE_BYTES`
    free. The disk named is the one holding the first of ``outputs`` (else the working directory).
    """
    where = Path(outputs[0]).absolute().parent if outputs else Path.cwd()
    while not where.exists() and where != where.parent:
        where = where.parent
    free = shutil.disk_usage(where).free
    seen: set[int] = set()
    full = False
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        text = str(error)
        if (
            (isinstance(error, OSError) and error.errno == errno.ENOSPC)
            or "No space left on device" in text
            or "Free disk space available is" in text
            or ("write" in text.lower() and free < LOW_SPACE_BYTES)
        ):
            full = True
            break
        error = error.__cause__ or error.__context__
    if not full:
        return None
    return (
        f"the disk holding {where} is full ({free / 2**20:.1f} MB free): free space on it, or run the workflow in a "
        "directory on a larger disk, then run the same command again (this job's outputs were not kept)"
    )
