"""Command line: ``python -m sar2ndvi.demo --config config/config.yaml --out DIR``.

Reads the ``study``, ``areas`` and ``demo`` sections of the workflow's YAML configuration (missing
keys take their defaults) and writes the demo archive under ``DIR``.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from pathlib import Path

import yaml

from sar2ndvi.demo.store import build_demo_store
from sar2ndvi.demo.world import DemoSpec


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sar2ndvi.demo", description=__doc__.splitlines()[0])
    parser.add_argument("--config", required=True, type=Path, help="workflow configuration (YAML)")
    parser.add_argument("--out", required=True, type=Path, help="folder to write the demo archive to")
    parser.add_argument("--workers", type=int, default=None, help="processes (default: demo.workers, or 1)")
    parser.add_argument("--seed", type=int, default=None, help="override demo.seed")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    config = yaml.safe_load(args.config.read_text()) or {}
    if "areas" not in config or not config["areas"]:
        parser.error(f"{args.config}: no 'areas' section; give at least one lon/lat box")
    if args.seed is not None:
        config.setdefault("demo", {})["seed"] = args.seed
    spec = DemoSpec.from_config(config)
    started = time.perf_counter()
    summary = build_demo_store(spec, args.out, workers=args.workers)
    logging.getLogger("sar2ndvi.demo").info("written in %.1f s", time.perf_counter() - started)
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
