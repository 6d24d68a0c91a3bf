"""Logging for workflow jobs: one log file per job, plus the terminal."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

from sar2ndvi.sources.credentials import RedactingFilter


def configure(log_path: str | Path | None, level: int = logging.INFO) -> logging.Logger:
    """Send the package's log records to ``log_path`` (created) and to stderr; return the root logger."""
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
    return root
