"""The demo step: the synthetic world that stands in for ASF, Earth Engine, Planet and MAFF offline."""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from sar2ndvi.io import write_json

log = logging.getLogger(__name__)


def demo_store(config: Mapping[str, Any], out: str | Path, workers: int = 1) -> None:
    """Write the demo world of ``config`` (its ``study``, ``areas`` and ``demo`` sections) beside ``out``.

    ``out`` (``STORE.json``) is written last and lists every file with its size.
    """
    from sar2ndvi.demo import DemoSpec, build_demo_store

    folder = Path(out).parent
    spec = DemoSpec.from_config(config)
    started = time.perf_counter()
    build_demo_store(spec, folder, workers=workers)
    files = sorted(p for p in folder.rglob("*") if p.is_file() and p.name != "STORE.json")
    log.info("demo world with %d files written to %s in %.1f s", len(files), folder, time.perf_counter() - started)
    write_json(out, {"seed": spec.seed, "files": {str(p.relative_to(folder)): p.stat().st_size for p in files}})
