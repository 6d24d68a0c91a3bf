"""Compute one image of an optical sensor's Earth Engine product on the study grid."""

from sar2ndvi.steps import optical
from sar2ndvi.steps.job import current_job

if __name__ == "__main__":
    job = current_job(globals(), __doc__)
    optical.fetch(
        job.wildcards.sensor,
        job.wildcards.export,
        job.input.grid,
        job.output[0],
        job.config["earthengine"],
        job.config["downloads"],
    )
