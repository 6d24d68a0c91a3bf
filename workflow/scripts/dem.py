"""DEM heights above the WGS 84 ellipsoid on the study grid, for terrain correction."""

from sar2ndvi.steps import grids
from sar2ndvi.steps.job import current_job

if __name__ == "__main__":
    job = current_job(globals(), __doc__)
    grids.dem_heights(job.params.source, job.input.grid, job.params.geoid_undulation_m, job.output[0])
