"""Logging for workflow jobs: one log file per job, plus the terminal."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

from sar2ndvi.sources.credentials import RedactingFilter


def configure(log_path: str | Path | None, level: int = logging.INFO) -> logging.Logger:
    """Send the package's log records to ``log_path`` (created) and to stderr; return the root logger.

    An exception that ends the process is written to the log file too (the terminal gets Python's
    own traceback), so a failed job's log says why it failed.
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
    if files:
        sys.excepthook = _log_then(files, sys.__excepthook__)
    return root


def _log_then(handlers: list[logging.Handler], hook):
    def excepthook(kind, error, traceback):
        if not issubclass(kind, KeyboardInterrupt):
            record = logging.LogRecord(
                "sar2ndvi", logging.ERROR, "", 0, "%s: %s", (kind.__name__, error), (kind, error, traceback)
            )
            for handler in handlers:
                handler.handle(record)
                handler.flush()
        hook(kind, error, traceback)

    return excepthook
