"""Farm parcels rasterised onto an area grid: parcel id per pixel, 0 off farm."""

import geopandas as gpd

from sar2ndvi.farms import rasterize_parcels
from sar2ndvi.grid import AreaGrid
from sar2ndvi.io import write_raster
from sar2ndvi.runlog import configure

log = configure(snakemake.log[0])
grid = AreaGrid.read(snakemake.input.grid)
parcels = gpd.read_file(snakemake.input.parcels, engine="pyogrio")
ids = rasterize_parcels(parcels, grid)
write_raster(snakemake.output[0], ids, grid, ["parcel_id (0 = not farm)"], nodata=None)
log.info("%s: %.1f %% farm pixels, %d parcels", grid.name, 100 * (ids > 0).mean(), len(set(ids.ravel())) - 1)
