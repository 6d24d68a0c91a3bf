"""Farm parcels rasterised onto an area grid: parcel id per pixel, 0 off farm."""

from sar2ndvi.steps import farms
from sar2ndvi.steps.job import current_job

if __name__ == "__main__":
    job = current_job(globals(), __doc__)
    farms.mask(job.input.parcels, job.input.grid, job.output[0])
