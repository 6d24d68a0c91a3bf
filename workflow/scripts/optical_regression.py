"""Fit the reference sensor's NDVI ≈ slope · the pre-training sensor's NDVI + intercept on farm pixels."""

from sar2ndvi.steps import optical
from sar2ndvi.steps.job import current_job

if __name__ == "__main__":
    job = current_job(globals(), __doc__)
    optical.regression(
        job.input.reference,
        job.input.source,
        job.input.mask,
        job.input.grid,
        job.params.max_days,
        job.params.samples,
        job.output.fit,
        job.output.samples,
        names=(job.params.reference, job.params.source),
    )
