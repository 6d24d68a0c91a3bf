"""List the Sentinel-1 IW GRD scenes over the study area and period, on every track (sorted; rewritten only on
change). The relative orbits to use are chosen when the list is read."""

from sar2ndvi.steps import sentinel1
from sar2ndvi.steps.job import current_job

if __name__ == "__main__":
    job = current_job(globals(), __doc__)
    p = job.params
    sentinel1.search(
        p.source, p.folder, p.start, p.end, p.flight_direction, p.study_box, job.output.scenes, job.output.skipped
    )
