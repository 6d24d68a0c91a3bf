"""NDVI of every Sentinel-1 acquisition over one area: one model, or the mean and spread of an ensemble."""

from sar2ndvi.steps import model
from sar2ndvi.steps.job import current_job

if __name__ == "__main__":
    job = current_job(globals(), __doc__)
    i, p = job.input, job.params
    model.predict(
        i.models,
        i.indexes,
        p.scenes,
        i.dem,
        i.mask,
        i.grid,
        i.study_grid,
        job.output[0],
        tta=p.tta,
        ensemble=p.ensemble,
        device=job.config["model"]["device"],
        threads=job.threads,
    )
