"""Within- against between-field NDVI variability: a real farmland's and the demo world's, measured alike.

Real: the Sentinel-2 L1C NDVI time series of ``../shared/data/real/s2_ndvi_timeseries_eolearn``
(1 km × 1 km of Slovenian farmland and woods at 10 m; eo-learn's test patch, contains modified
Copernicus Sentinel data 2015–2017), its clear dates (s2cloudless mask < 1 % of the patch) from May
to October 2017. It has no parcel polygons: fields are delineated from the images
(:func:`sar2ndvi.fieldstats.cross_fitted_variability`: Felzenszwalb segments of alternate dates,
shrunk by a pixel, measured on the other dates), at three segmentation scales, all segments and
the arable ones (median NDVI below 0.5 on some date: tilled).

Demo: the world of ``config/config.yaml`` on its pre-training area, as Sentinel-2 L1C would see it
on a clear day (the demo's path radiance and sensor noise), every 15 days from May to October; once
as drawn (``demo.within_field`` at its defaults) and once with uniform fields (all sizes zero, the
world before the structure was added). The same delineation as the real patch, and the true cabbage
parcels shrunk by a pixel.

Prints one row per (source, world, delineation): the within-field standard deviation (NDVI; its
square is the MSE of an oracle knowing each field's mean), the between-field standard deviation and
the within share of the variance.

    python3 benchmarks/within_field_variability.py
"""

from __future__ import annotations

import argparse
import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from sar2ndvi.demo.world import WithinField
from sar2ndvi.fieldstats import cross_fitted_variability, growing_season_dates, shrink_fields

REPO = Path(__file__).resolve().parents[1]
REAL = REPO.parent / "shared" / "data" / "real" / "s2_ndvi_timeseries_eolearn" / "TestEOPatch"
SCALES = (40, 80, 160)
MIN_PIXELS = 25  # 0.25 ha at 10 m: the smallest field a segment may be
BARE_BELOW = 0.5  # L1C NDVI: a field this low on some date of the season is tilled
SEASON = (5, 10)  # months


def real_stack(folder: Path, year: str = "2017", max_cloud: float = 0.01) -> tuple[np.ndarray, list[str]]:
    """Clear growing-season NDVI of the real patch: (dates, rows, cols) and the dates."""
    ndvi = np.load(folder / "data" / "NDVI.npy")[..., 0]
    cloud = np.load(folder / "mask" / "CLM.npy")[..., 0]
    dates = [t[:10] for t in json.loads((folder / "timestamps.json").read_text())]
    keep = [i for i in growing_season_dates(dates, SEASON) if dates[i][:4] == year and cloud[i].mean() < max_cloud]
    return ndvi[keep].astype(np.float64), [dates[i] for i in keep]


def demo_stack(within: WithinField | None = None) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Clear L1C-like NDVI of the demo's pre-training area, its cabbage parcels (shrunk) and the dates."""
    from sar2ndvi.demo.optical import clear_sky_l1c_ndvi, sentinel2_days
    from sar2ndvi.demo.world import CROP, DemoSpec, World

    config = yaml.safe_load((REPO / "config" / "config.yaml").read_text())
    spec = DemoSpec.from_config(config)
    if within is not None:
        spec = replace(spec, within_field=within)
    world = World(spec)
    grid = world.area_grids["pretrain"]
    index = world.parcel_index(grid)
    rng = np.random.default_rng(0)
    days = [d for d in sentinel2_days(world) if SEASON[0] <= d.month <= SEASON[1]][::3]
    stack = [clear_sky_l1c_ndvi(world, day, grid, index, rng) for day in days]
    crop = np.r_[False, world.kinds == CROP][index]
    parcels = shrink_fields(np.where(crop, index, 0))
    return np.stack(stack), parcels, [d.isoformat() for d in days]


def rows(source: str, world: str, stack: np.ndarray, parcels: np.ndarray | None = None) -> list[dict]:
    out = []
    for scale in SCALES:
        for fields, bare in (("segments", None), ("arable segments", BARE_BELOW)):
            v = cross_fitted_variability(stack, scale=scale, min_pixels=MIN_PIXELS, bare_below=bare)
            out.append({"source": source, "world": world, "delineation": f"{fields}, scale {scale}", **vars(v)})
    if parcels is not None:
        v = cross_fitted_variability(stack, scale=0, min_pixels=MIN_PIXELS, bare_below=None, fields=parcels)
        out.append({"source": source, "world": world, "delineation": "true cabbage parcels", **vars(v)})
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--within",
        nargs=3,
        type=float,
        metavar=("SOIL_NDVI", "TRANSPLANTING_DAYS", "VIGOUR"),
        help="measure the demo with these within-field sizes instead of the defaults",
    )
    parser.add_argument("--no-real", action="store_true", help="leave the real patch out")
    args = parser.parse_args()
    table = []
    if args.no_real:
        pass
    elif REAL.is_dir():
        stack, dates = real_stack(REAL)
        print(f"real: {len(dates)} clear dates, {dates[0]} to {dates[-1]}, {stack.shape[1]} × {stack.shape[2]} px")
        table += rows("Sentinel-2, Slovenia 2017", "real", stack)
    else:
        print(f"{REAL} is absent: the real patch is skipped")
    drawn = WithinField(*args.within) if args.within else None
    for within, name in ((drawn, "demo as drawn"), (WithinField(0.0, 0.0, 0.0), "demo, uniform fields")):
        stack, parcels, _ = demo_stack(within)
        table += rows("Sentinel-2 L1C-like", name, stack, parcels)
    frame = pd.DataFrame(table)
    with pd.option_context("display.width", 200, "display.max_columns", 20, "display.float_format", "{:.4f}".format):
        print(frame.drop(columns=["dates"]).to_string(index=False))


if __name__ == "__main__":
    main()
