"""List the optical scenes (Sentinel-2 or PlanetScope) of the study period, sorted; rewritten only on change."""

from sar2ndvi.steps import optical
from sar2ndvi.steps.job import current_job

if __name__ == "__main__":
    job = current_job(globals(), __doc__)
    p = job.params
    live = {}
    if p.source == "earthengine":
        live = dict(
            earthengine=job.config["earthengine"],
            retries=job.config["downloads"],
            study_box=p.study_box,
            export_folder=p.export_folder,
            max_scene_cloud_percent=p.max_scene_cloud_percent,
        )
    optical.search(p.kind, p.source, p.folder, p.start, p.end, job.output.scenes, **live)
