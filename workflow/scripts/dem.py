"""DEM heights above the WGS 84 ellipsoid on the study grid, for terrain correction."""

from pathlib import Path

from rasterio.warp import Resampling

from sar2ndvi.grid import AreaGrid
from sar2ndvi.io import write_raster
from sar2ndvi.optical import warp_bands
from sar2ndvi.runlog import configure

log = configure(snakemake.log[0])
source = snakemake.params.source
if not source or not Path(source).exists():
    raise FileNotFoundError(f"DEM {source!r} not found; set local.dem to a GeoTIFF of orthometric heights")
grid = AreaGrid.read(snakemake.input.grid)
orthometric = warp_bands(source, [1], grid, Resampling.bilinear)[0]
if (~(orthometric == orthometric)).any():
    raise ValueError(f"{source}: the DEM does not cover the study area {grid.bounds} ({grid.crs}) completely")
# Geocoding needs ellipsoidal heights; the undulation is nearly constant over a few kilometres.
heights = orthometric + snakemake.params.geoid_undulation_m
write_raster(
    snakemake.output[0],
    heights,
    grid,
    ["height above WGS 84 ellipsoid (m)"],
    {"source": Path(source).name, "geoid_undulation_m": snakemake.params.geoid_undulation_m},
)
log.info("DEM heights %.0f–%.0f m (ellipsoidal) on %s", heights.min(), heights.max(), grid.name)
