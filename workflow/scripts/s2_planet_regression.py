"""Fit Planet NDVI ≈ slope · S2 NDVI + intercept on farm pixels seen by both within a few days."""

from datetime import datetime

import numpy as np
import pandas as pd

from sar2ndvi.grid import AreaGrid
from sar2ndvi.io import atomic_path, read_raster, write_json
from sar2ndvi.optical import nearest_date
from sar2ndvi.regression import fit_linear
from sar2ndvi.runlog import configure

log = configure(snakemake.log[0])
grid = AreaGrid.read(snakemake.input.grid)
farm = read_raster(snakemake.input.mask, grid)[0] > 0


def day(path):
    return datetime.strptime(path.rsplit("/", 1)[-1][:8], "%Y%m%d").date()


s2_by_day = {day(p): p for p in snakemake.input.s2}
xs, ys, used = [], [], []
for planet_path in snakemake.input.planet:
    match = nearest_date(day(planet_path), list(s2_by_day), snakemake.params.max_days)
    if match is None:
        continue
    planet = read_raster(planet_path, grid)[0]
    s2 = read_raster(s2_by_day[match], grid)[0]
    ok = farm & np.isfinite(planet) & np.isfinite(s2)
    if ok.any():
        xs.append(s2[ok])
        ys.append(planet[ok])
        used.append({"planet": day(planet_path).isoformat(), "sentinel2": match.isoformat(), "pixels": int(ok.sum())})
if not xs:
    raise ValueError(
        f"no Planet date has a Sentinel-2 date within ±{snakemake.params.max_days} days with common farm pixels; "
        "widen pairing.max_days"
    )
fit = fit_linear(np.concatenate(xs), np.concatenate(ys), n_pairs=len(used))
write_json(snakemake.output.fit, fit.to_dict())
# a reproducible sample of the matched pixels, for the report's scatter plot
s2_all, planet_all = np.concatenate(xs), np.concatenate(ys)
pick = np.random.default_rng(0).permutation(len(s2_all))[: snakemake.params.samples]
with atomic_path(snakemake.output.samples, suffix=".csv") as tmp:
    pd.DataFrame({"s2": s2_all[pick], "planet": planet_all[pick]}).to_csv(tmp, index=False, float_format="%.5f")
log.info(
    "Planet ≈ %.4f · S2 + %.4f (r² %.3f, %d pixels from %d date pairs)",
    fit.slope,
    fit.intercept,
    fit.r2,
    fit.n_pixels,
    fit.n_pairs,
)
for pair in used:
    log.info("pair %s", pair)
