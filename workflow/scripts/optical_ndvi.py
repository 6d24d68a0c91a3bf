"""NDVI of one date of an optical sensor on the study grid, mosaicking every scene of that date."""

from sar2ndvi.steps import optical
from sar2ndvi.steps.job import current_job

if __name__ == "__main__":
    job = current_job(globals(), __doc__)
    optical.ndvi(
        job.wildcards.sensor,
        job.input.table,
        job.wildcards.date,
        job.input.grid,
        job.output[0],
        job.params.settings,
    )
