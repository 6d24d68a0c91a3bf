"""Sentinel-1 σ0 (VV, VH; linear power) calibrated, noise-removed and terrain-corrected onto the study grid."""

import numpy as np

from sar2ndvi.grid import AreaGrid
from sar2ndvi.io import read_raster, write_raster
from sar2ndvi.runlog import configure
from sar2ndvi.sentinel1.geocode import geocode_sigma0
from sar2ndvi.sentinel1.orbit_file import read_orbit_file
from sar2ndvi.sentinel1.safe import SafeProduct
from sar2ndvi.sentinel1.terrain_geometry import LAYER_DESCRIPTIONS

log = configure(snakemake.log[0])
s = snakemake.params.settings
grid = AreaGrid.read(snakemake.input.grid)
heights = read_raster(snakemake.input.dem, grid)[0]
product = SafeProduct(snakemake.input.product)
# the scene's orbit file (sources.orbits: local or asf); none: the annotation's own orbit
orbit = None
orbit_path = snakemake.input.get("orbit")
if orbit_path:
    info = product.info
    orbit = read_orbit_file(orbit_path, info.start_time, info.stop_time)
    log.info("orbit from %s", orbit_path)
# settings that have no effect (a speckle window without a filter) are not passed by the rule
options = {key: s[key] for key in ("negative_floor", "speckle_window", "min_illuminated_area") if key in s}
if s["border_noise"] != "never":
    options.update(border_limit=s["border_noise_limit"], border_threshold=s["border_noise_threshold"])
result = geocode_sigma0(
    product,
    grid,
    heights,
    polarisations=tuple(s["polarisations"]),
    oversample=s["oversample"],
    noise_removal=s["noise_removal"],
    negative=s["negative"],
    orbit=orbit,
    speckle_filter=s["speckle_filter"],
    radiometry=s["radiometry"],
    border_noise=s["border_noise"],
    layers=tuple(s.get("layers", ())),
    threads=snakemake.threads,
    **options,
)
quantity = "gamma0" if s["radiometry"] == "gamma0_flat" else "sigma0"
# the terrain layers follow the polarisations, so band n of every σ0 raster is the same polarisation
write_raster(
    snakemake.output[0],
    np.concatenate([result.sigma0, *(layer[np.newaxis] for layer in result.layers.values())]),
    grid,
    [f"{quantity}_{pol} (linear)" for pol in s["polarisations"]] + [LAYER_DESCRIPTIONS[n] for n in result.layers],
    {"scene": snakemake.wildcards.scene, **result.metadata},
)
log.info("%s: σ0 on %s, %.1f %% valid", snakemake.wildcards.scene, grid.name, 100 * result.valid_fraction)
