"""Metrics of one trained model on the whole-area images of a split (validation or test), farm pixels."""

from sar2ndvi.steps import model
from sar2ndvi.steps.job import current_job

if __name__ == "__main__":
    job = current_job(globals(), __doc__)
    w = job.wildcards
    model.score(
        job.input.model,
        job.input.data,
        job.output[0],
        w.variant,
        w.stage,
        w.split,
        tta=w.tta == "tta",
        device=job.config["model"]["device"],
        threads=job.threads,
    )
