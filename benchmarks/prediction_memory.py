"""Peak memory of the prediction job as the study grows: 100 and 1,000 acquisitions of one area.

Each figure is a fresh process that runs the workflow's prediction step
(:func:`sar2ndvi.steps.model.predict`) on ``--side`` × ``--side`` px index rasters of synthetic
σ0, with an untrained model of the default size (the weights do not change the memory), without
test-time augmentation (it multiplies the time, not the memory), and reports its wall time and peak
resident memory (``ru_maxrss``).

    python3 benchmarks/prediction_memory.py --scenes 100 1000
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[1]

CHILD = """
import json, resource, sys, time
sys.argv = ["predict"]
from sar2ndvi.steps.model import predict
args = json.loads({args!r})
started = time.perf_counter()
predict(**args)
print(json.dumps({{"seconds": time.perf_counter() - started,
                   "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}}))
"""


def prepare(folder: Path, scenes: int, side: int) -> dict:
    """Index rasters of ``scenes`` acquisitions, heights, a farm mask, a grid and a model; the predict arguments."""
    from sar2ndvi.grid import AreaGrid
    from sar2ndvi.indexes import CHANNEL_NAMES, sar_index_channels
    from sar2ndvi.io import write_raster
    from sar2ndvi.model import TrainConfig, train_model
    from sar2ndvi.variants import DATASET_CHANNELS

    grid = AreaGrid("test", "EPSG:32654", 10.0, 720_000.0, 4_045_000.0, side, side)
    (folder / "grid.json").write_text(grid.to_json())
    rng = np.random.default_rng(0)
    farm = np.zeros(grid.shape, np.int32)
    farm[side // 8 :, side // 8 :] = 1
    write_raster(folder / "mask.tif", farm, grid, ["parcel_id"], nodata=None)
    write_raster(folder / "heights.tif", 1200 + rng.normal(0, 20, grid.shape).astype(np.float32), grid, ["h"])
    indexes, starts = [], []
    for k in range(scenes):
        vv = rng.gamma(2.0, 0.05, grid.shape)
        vh = rng.gamma(2.0, 0.01, grid.shape)
        path = folder / f"indexes_{k:04d}.tif"
        write_raster(path, sar_index_channels(vv, vh), grid, list(CHANNEL_NAMES))
        indexes.append(str(path))
        starts.append(f"2017-05-{1 + k % 28:02d}T20:45:{k % 60:02d}")
    cfg = TrainConfig(epochs=0, device="cpu")
    data = {
        "x": rng.normal(size=(1, len(DATASET_CHANNELS), 64, 64)).astype(np.float32),
        "y": np.zeros((1, 1, 64, 64), np.float32),
        "mask": np.ones((1, 1, 64, 64), np.uint8),
    }
    train_model(cfg, data, channel_names=DATASET_CHANNELS).save(folder / "model.pt")
    table = pd.DataFrame({"scene": [f"S1A_{k:04d}" for k in range(scenes)], "start": starts})
    return {
        "models": [str(folder / "model.pt")],
        "indexes": indexes,
        "scenes": table.to_dict("list"),
        "heights": str(folder / "heights.tif"),
        "mask": str(folder / "mask.tif"),
        "grid": str(folder / "grid.json"),
        "study_grid": str(folder / "grid.json"),
        "out": str(folder / "ndvi.tif"),
        "tta": False,
        "ensemble": False,
        "device": "cpu",
        "threads": 2,
    }


def measure(args: dict) -> dict:
    result = subprocess.run(
        [sys.executable, "-c", CHILD.format(args=json.dumps(args))], capture_output=True, text=True, timeout=3600
    )
    if result.returncode != 0:
        raise RuntimeError(result.stderr[-3000:])
    return json.loads(result.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenes", type=int, nargs="+", default=[100, 1000])
    parser.add_argument("--side", type=int, default=128, help="area side, px (10 m)")
    args = parser.parse_args(argv)
    print(f"{'acquisitions':>12} {'area px':>9} {'input MB':>9} {'wall s':>8} {'peak MB':>8}")
    for scenes in args.scenes:
        with tempfile.TemporaryDirectory(prefix="prediction_memory_") as folder:
            figures = measure(prepare(Path(folder), scenes, args.side))
            inputs_mb = scenes * 12 * args.side**2 * 4 / 2**20
            print(
                f"{scenes:>12} {args.side}x{args.side:<5} {inputs_mb:>9.0f} {figures['seconds']:>8.1f} "
                f"{figures['peak_mb']:>8.0f}"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
