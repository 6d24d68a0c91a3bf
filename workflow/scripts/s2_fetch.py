"""Compute one Sentinel-2 image (B4, B8, s2cloudless probability) on the study grid with Earth Engine."""

from sar2ndvi.grid import AreaGrid
from sar2ndvi.runlog import configure
from sar2ndvi.sources.earthengine import fetch_sentinel2, initialize

log = configure(snakemake.log[0])
initialize(snakemake.config["earthengine"]["project"], snakemake.config["earthengine"]["service_account_key"])
fetch_sentinel2(
    snakemake.wildcards.s2_scene,
    AreaGrid.read(snakemake.input.grid),
    snakemake.output[0],
    tile=snakemake.config["earthengine"]["tile_pixels"],
    attempts=snakemake.config["downloads"]["attempts"],
    backoff_s=snakemake.config["downloads"]["backoff_s"],
)
