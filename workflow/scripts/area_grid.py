"""Write the snapped EPSG:32654 grid of one configured area."""

from sar2ndvi.steps import grids
from sar2ndvi.steps.job import current_job

if __name__ == "__main__":
    job = current_job(globals(), __doc__)
    p = job.params
    grids.area_grid(job.wildcards.area, p.box, p.study_box, p.crs, p.resolution, job.output[0])
