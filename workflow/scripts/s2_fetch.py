"""Compute one Sentinel-2 image (B4, B8, s2cloudless probability) on the study grid with Earth Engine."""

from sar2ndvi.steps import optical
from sar2ndvi.steps.job import current_job

if __name__ == "__main__":
    job = current_job(globals(), __doc__)
    optical.fetch_sentinel2(
        job.wildcards.s2_scene, job.input.grid, job.output[0], job.config["earthengine"], job.config["downloads"]
    )
