"""NDVI of one date on the study grid, mosaicking every scene of that date (first valid pixel wins)."""

from sar2ndvi.steps import optical
from sar2ndvi.steps.job import current_job

if __name__ == "__main__":
    job = current_job(globals(), __doc__)
    optical.ndvi(
        job.params.kind,
        job.input.scenes,
        job.input.masks,
        job.input.grid,
        job.output[0],
        job.wildcards.date,
        job.params.cloud_probability_max,
    )
