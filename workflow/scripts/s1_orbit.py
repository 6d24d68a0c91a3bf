"""The orbit file (.EOF) of one Sentinel-1 scene: fetched from ASF or copied from a local folder, checked."""

from sar2ndvi.steps import sentinel1
from sar2ndvi.steps.job import current_job

if __name__ == "__main__":
    job = current_job(globals(), __doc__)
    # The folder and the retry settings are read from the config, not params: moving the folder or
    # changing the retries must not make the orbit files, and the σ0 rasters made with them, out of date.
    sentinel1.orbit(
        job.wildcards.scene,
        job.params.origin["source"],
        job.output[0],
        job.config["downloads"],
        folder=job.config["sentinel1"]["orbit_files"] or "",
    )
