"""The orbit file (.EOF) of one Sentinel-1 scene: fetched from ASF or copied from a local folder, checked."""

from sar2ndvi.runlog import configure
from sar2ndvi.sources.orbits import copy_local_orbit, fetch_orbit

log = configure(snakemake.log[0])
scene = snakemake.wildcards.scene
source = snakemake.params.origin["source"]
# The folder and the retry settings are read from the config, not params: moving the folder or
# changing the retries must not make the orbit files, and the σ0 rasters made with them, out of date.
if source == "asf":
    retries = snakemake.config["downloads"]
    kept = fetch_orbit(
        scene,
        snakemake.output[0],
        attempts=retries["attempts"],
        backoff_s=retries["backoff_s"],
        timeout_s=retries["timeout_s"],
    )
elif source == "local":
    kept = copy_local_orbit(scene, snakemake.config["sentinel1"]["orbit_files"], snakemake.output[0])
else:
    raise ValueError(f"sources.orbits: {source} has no orbit file to make for {scene}")
log.info("%s: orbit %s (%s) kept as %s", scene, kept.name, kept.kind, snakemake.output[0])
