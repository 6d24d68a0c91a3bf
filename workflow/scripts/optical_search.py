"""List an optical sensor's scenes of the study period, sorted; rewritten only on change."""

from sar2ndvi.steps import optical
from sar2ndvi.steps.job import current_job

if __name__ == "__main__":
    job = current_job(globals(), __doc__)
    p = job.params
    live = {}
    if p.source == "earthengine":
        live = dict(p.earthengine, earthengine=job.config["earthengine"], retries=job.config["downloads"])
    optical.search(job.wildcards.sensor, p.source, p.folder, p.start, p.end, job.output.scenes, **live)
