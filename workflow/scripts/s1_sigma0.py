"""Sentinel-1 σ0 (VV, VH; linear power) calibrated, noise-removed and terrain-corrected onto the study grid."""

from sar2ndvi.grid import AreaGrid
from sar2ndvi.io import read_raster, write_raster
from sar2ndvi.runlog import configure
from sar2ndvi.sentinel1.geocode import geocode_sigma0
from sar2ndvi.sentinel1.orbit_file import find_orbit_file, read_orbit_file
from sar2ndvi.sentinel1.safe import SafeProduct

log = configure(snakemake.log[0])
s = snakemake.params.settings
grid = AreaGrid.read(snakemake.input.grid)
heights = read_raster(snakemake.input.dem, grid)[0]
product = SafeProduct(snakemake.input.product)
orbit = None
if s.get("orbit_files"):
    info = product.info
    orbit_path = find_orbit_file(s["orbit_files"], info.mission, info.start_time, info.stop_time)
    orbit = read_orbit_file(orbit_path, info.start_time, info.stop_time)
    log.info("orbit from %s", orbit_path.name)
# settings that have no effect (a speckle window without a filter) are not passed by the rule
options = {key: s[key] for key in ("negative_floor", "speckle_window") if key in s}
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
    **options,
)
write_raster(
    snakemake.output[0],
    result.sigma0,
    grid,
    [f"{'gamma0' if s['radiometry'] == 'gamma0_flat' else 'sigma0'}_{pol} (linear)" for pol in s["polarisations"]],
    {"scene": snakemake.wildcards.scene, **result.metadata},
)
log.info("%s: σ0 on %s, %.1f %% valid", snakemake.wildcards.scene, grid.name, 100 * result.valid_fraction)
