"""Fit Planet NDVI ≈ slope · S2 NDVI + intercept on farm pixels seen by both within a few days."""

from sar2ndvi.steps import optical
from sar2ndvi.steps.job import current_job

if __name__ == "__main__":
    job = current_job(globals(), __doc__)
    optical.regression(
        job.input.planet,
        job.input.s2,
        job.input.mask,
        job.input.grid,
        job.params.max_days,
        job.params.samples,
        job.output.fit,
        job.output.samples,
    )
