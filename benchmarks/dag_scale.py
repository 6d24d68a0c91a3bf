"""How long Snakemake takes to plan a multi-year study, for 100 and 1,000 Sentinel-1 scenes.

The study: ``--years`` years from 2017-05-01, two descending tracks seen by both platforms (a
pass every 6 days per track and platform pair, and the study area across two slices of a pass),
Sentinel-2 every 5 days and Planet every 3 days, the four areas of the paper. The checkpoints'
tables (the searches, the clear fractions, the regression's fit) are written as a finished search
would leave them, with the local sources pointing at empty files, so ``snakemake --dry-run`` plans
every job of the study: downloads, σ0 and indexes per scene, NDVI per date, the datasets, training
and the predictions of the four areas. Each figure is the median of ``--repeats`` fresh processes.

    python3 benchmarks/dag_scale.py --scenes 100 1000
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

import pandas as pd
import yaml

REPO = Path(__file__).resolve().parents[1]
AREAS = ("pretrain", "train", "validation", "test")
TRACKS = {46: "S1A", 119: "S1B"}  # relative orbit → first platform; the other platform flies 6 days later


def scene_table(count: int, start: datetime) -> pd.DataFrame:
    """``count`` descending IW GRDH scenes: two tracks × two platforms × two slices, every 6 days."""
    rows = []
    day = 0
    while len(rows) < count:
        for track, first in TRACKS.items():
            platform = first if (day // 6) % 2 == 0 else ("S1B" if first == "S1A" else "S1A")
            for slice_ in range(2):
                t0 = start + timedelta(days=day, hours=20, minutes=45 + track % 7, seconds=25 * slice_)
                t1 = t0 + timedelta(seconds=25)
                absolute = 16000 + day * 15 + track
                take = 0x01F000 + len(rows)
                name = (
                    f"{platform}_IW_GRDH_1SDV_{t0:%Y%m%dT%H%M%S}_{t1:%Y%m%dT%H%M%S}_{absolute:06d}_{take:06X}_"
                    f"{len(rows) % 0xFFFF:04X}"
                )
                rows.append(
                    {
                        "scene": name,
                        "start": t0.isoformat(),
                        "stop": t1.isoformat(),
                        "platform": platform,
                        "relative_orbit": track,
                        "absolute_orbit": absolute,
                        "flight_direction": "DESCENDING",
                        "url": f"archive/sentinel1/{name}.zip",
                        "bytes": 1_700_000_000,
                        "md5": "0" * 32,
                    }
                )
        day += 6
    return pd.DataFrame(rows[:count])


def optical_table(folder: str, start: datetime, end: datetime, every: int, planet: bool) -> pd.DataFrame:
    rows = []
    day = start
    while day <= end:
        if planet:
            scene = f"{day:%Y%m%d}_012345_0f22_3B_AnalyticMS_SR"
            mask = f"{folder}/{day:%Y%m%d}_012345_0f22_3B_udm2.tif"
        else:
            scene = f"{day:%Y%m%d}T013651_{day:%Y%m%d}T013652_T54SUE"
            mask = ""
        rows.append(
            {
                "date": f"{day:%Y%m%d}",
                "acquired": f"{day:%Y-%m-%d}T01:36:51",
                "id": scene,
                "path": f"{folder}/{scene}.tif",
                "mask_path": mask,
            }
        )
        day += timedelta(days=every)
    return pd.DataFrame(rows)


def prepare(workdir: Path, count: int, years: int) -> dict:
    """A working directory whose searches have found ``count`` scenes; returns what it holds."""
    start = datetime(2017, 5, 1)
    end = start + timedelta(days=365 * years - 1)
    config = yaml.safe_load((REPO / "config" / "config.yaml").read_text())
    config["study"].update(start=f"{start:%Y-%m-%d}", end=f"{end:%Y-%m-%d}")
    config["sources"].update(sentinel1="local", sentinel2="local", planet="local", farms="local", dem="local")
    config["local"] = {
        "sentinel1": "archive/sentinel1",
        "sentinel2": "archive/sentinel2",
        "planet": "archive/planet",
        "farms": "archive/farms",
        "dem": "archive/dem.tif",
    }
    (workdir / "config.yaml").write_text(yaml.safe_dump(config))
    results = workdir / "results"
    s1 = scene_table(count, start)
    s2 = optical_table("archive/sentinel2", start, end, 5, planet=False)
    planet = optical_table("archive/planet", start, end, 3, planet=True)
    for folder in ("s1", "sentinel2", "planet", "regression"):
        (results / folder).mkdir(parents=True, exist_ok=True)
    s1.to_csv(results / "s1/scenes.csv", index=False)
    pd.DataFrame(columns=["scene", "reason"]).to_csv(results / "s1/skipped.csv", index=False)
    for name, table in (("sentinel2", s2), ("planet", planet)):
        table.to_csv(results / name / "scenes.csv", index=False)
        fractions = [{"date": d, "area": a, "clear_fraction": 0.8} for d in table["date"] for a in AREAS]
        pd.DataFrame(fractions).to_csv(results / name / "clear_fractions.csv", index=False)
        for path in [*table["path"], *filter(None, table["mask_path"])]:
            (workdir / path).parent.mkdir(parents=True, exist_ok=True)
            (workdir / path).touch()
    fit = {"slope": 1.02, "intercept": 0.03, "r2": 0.9, "n_pixels": 100000, "n_pairs": 40}
    (results / "regression/sentinel2_to_planet.json").write_text(json.dumps(fit))
    (workdir / "archive/farms").mkdir(parents=True, exist_ok=True)
    (workdir / "archive/dem.tif").touch()
    return {"scenes": len(s1), "sentinel2_dates": len(s2), "planet_dates": len(planet)}


def plan_once(workdir: Path) -> tuple[float, int]:
    targets = [f"results/ndvi_{area}.tif" for area in AREAS] + ["results/metrics.json"]
    command = [
        sys.executable, "-m", "snakemake", "--snakefile", str(REPO / "Snakefile"), "--directory", str(workdir),
        f"--configfile={workdir / 'config.yaml'}", "--cores", "2", "--dry-run", "--quiet", "rules", "--", *targets,
    ]  # fmt: skip
    started = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True, timeout=1800)
    seconds = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(f"the dry run failed:\n{result.stderr[-4000:]}")
    total = re.search(r"^total\s+(\d+)", result.stdout + result.stderr, re.MULTILINE)
    return seconds, int(total.group(1)) if total else -1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenes", type=int, nargs="+", default=[100, 1000])
    parser.add_argument("--years", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    print(f"{'scenes':>7} {'S2 dates':>9} {'Planet dates':>13} {'jobs':>7} {'plan s (median)':>16}")
    for count in args.scenes:
        with tempfile.TemporaryDirectory(prefix="dag_scale_") as folder:
            held = prepare(Path(folder), count, args.years)
            runs = [plan_once(Path(folder)) for _ in range(args.repeats)]
            seconds = statistics.median(r[0] for r in runs)
            print(
                f"{held['scenes']:>7} {held['sentinel2_dates']:>9} {held['planet_dates']:>13} {runs[0][1]:>7} "
                f"{seconds:>16.1f}"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
