"""The ten SAR index channels of Kimura et al. (2023) from σ0 VV and VH."""

from sar2ndvi.grid import AreaGrid
from sar2ndvi.indexes import CHANNEL_NAMES, sar_index_channels
from sar2ndvi.io import read_raster, write_raster
from sar2ndvi.runlog import configure

log = configure(snakemake.log[0])
grid = AreaGrid.read(snakemake.input.grid)
vv, vh = read_raster(snakemake.input.sigma0, grid)[:2]
channels = sar_index_channels(vv, vh)
write_raster(snakemake.output[0], channels, grid, list(CHANNEL_NAMES), {"scene": snakemake.wildcards.scene})
log.info("%s: %d channels", snakemake.wildcards.scene, len(CHANNEL_NAMES))
