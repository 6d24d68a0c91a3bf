"""Copernicus GLO-30 heights (EGM2008 geoid) over the study area, fetched from AWS Open Data and mosaicked."""

from pathlib import Path

from sar2ndvi.runlog import configure
from sar2ndvi.sources.copernicus_dem import fetch_tiles, mosaic_tiles

log = configure(snakemake.log[0])
p = snakemake.params
box = tuple(p.study_box)
tiles = fetch_tiles(
    box,
    Path(p.tile_folder),
    attempts=snakemake.config["downloads"]["attempts"],
    backoff_s=snakemake.config["downloads"]["backoff_s"],
)
mosaic_tiles(tiles, box, snakemake.output[0])
log.info("GLO-30 mosaic of %d tiles over %s", len(tiles), box)
