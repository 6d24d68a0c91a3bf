"""Sentinel-1 σ0 (VV, VH; linear power) calibrated, noise-removed and terrain-corrected onto the study grid."""

from sar2ndvi.grid import AreaGrid
from sar2ndvi.io import read_raster, write_raster
from sar2ndvi.runlog import configure
from sar2ndvi.sentinel1.geocode import geocode_sigma0

log = configure(snakemake.log[0])
s = snakemake.params.settings
grid = AreaGrid.read(snakemake.input.grid)
heights = read_raster(snakemake.input.dem, grid)[0]
result = geocode_sigma0(
    snakemake.input.product,
    grid,
    heights,
    polarisations=tuple(s["polarisations"]),
    oversample=s["oversample"],
    noise_removal=s["noise_removal"],
    negative=s["negative"],
    negative_floor=s["negative_floor"],
)
write_raster(
    snakemake.output[0],
    result.sigma0,
    grid,
    [f"sigma0_{pol} (linear)" for pol in s["polarisations"]],
    {"scene": snakemake.wildcards.scene, **result.metadata},
)
log.info("%s: σ0 on %s, %.1f %% valid", snakemake.wildcards.scene, grid.name, 100 * result.valid_fraction)
