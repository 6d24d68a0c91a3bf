"""Copernicus GLO-30 heights (EGM2008 geoid) over the study area, fetched from AWS Open Data and mosaicked."""

from sar2ndvi.steps import grids
from sar2ndvi.steps.job import current_job

if __name__ == "__main__":
    job = current_job(globals(), __doc__)
    grids.copernicus_dem(job.params.study_box, job.params.tile_folder, job.output[0], job.config["downloads"])
