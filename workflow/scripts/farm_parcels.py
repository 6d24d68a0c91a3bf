"""Farm parcels of the selected MAFF land types, reprojected to the grid CRS."""

from sar2ndvi.steps import farms
from sar2ndvi.steps.job import current_job

if __name__ == "__main__":
    job = current_job(globals(), __doc__)
    farms.parcels(job.params.source, job.params.land_types, job.params.crs, job.output[0], job.params.undeclared_crs)
