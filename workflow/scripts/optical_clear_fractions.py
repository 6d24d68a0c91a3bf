"""For every NDVI date of an optical sensor and every area, the fraction of the area's farm pixels seen clear."""

from sar2ndvi.steps import optical
from sar2ndvi.steps.job import current_job

if __name__ == "__main__":
    job = current_job(globals(), __doc__)
    optical.clear_fractions(job.input.ndvi, job.input.mask, job.input.study_grid, job.input.grids, job.output[0])
