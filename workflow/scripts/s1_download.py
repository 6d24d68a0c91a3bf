"""Bring one Sentinel-1 product, verified (size, MD5, zip integrity)."""

from sar2ndvi.runlog import configure
from sar2ndvi.sources.sentinel1 import fetch_scene

log = configure(snakemake.log[0])
fetch_scene(snakemake.params.record, snakemake.output[0])
log.info("%s fetched and verified", snakemake.wildcards.scene)
