"""NDVI of one date on the study grid, mosaicking every scene of that date (first valid pixel wins)."""

import numpy as np

from sar2ndvi.grid import AreaGrid
from sar2ndvi.io import write_raster
from sar2ndvi.optical import planet_ndvi, sentinel2_ndvi
from sar2ndvi.runlog import configure

log = configure(snakemake.log[0])
grid = AreaGrid.read(snakemake.input.grid)
kind = snakemake.params.kind
mosaic = np.full(grid.shape, np.nan, dtype=np.float32)
masks = {m.split("_3B_")[0]: m for m in snakemake.input.masks}
for scene in snakemake.input.scenes:
    if kind == "sentinel2":
        ndvi = sentinel2_ndvi(scene, grid, snakemake.params.cloud_probability_max)
    else:
        ndvi = planet_ndvi(scene, grid, masks.get(scene.split("_3B_")[0]))
    fill = np.isnan(mosaic) & np.isfinite(ndvi)
    mosaic[fill] = ndvi[fill]
write_raster(
    snakemake.output[0],
    mosaic,
    grid,
    ["NDVI"],
    {
        "sensor": kind,
        "date": snakemake.wildcards.date,
        "scenes": [s.rsplit("/", 1)[-1] for s in snakemake.input.scenes],
    },
)
log.info("%s %s: %.1f %% of the study grid observed", kind, snakemake.wildcards.date, 100 * np.isfinite(mosaic).mean())
