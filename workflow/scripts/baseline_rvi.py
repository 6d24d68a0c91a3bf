"""Baseline: per-pixel linear regression of NDVI on RVI, fitted on the training area's Planet pairs."""

from sar2ndvi.steps import evaluate
from sar2ndvi.steps.job import current_job

if __name__ == "__main__":
    job = current_job(globals(), __doc__)
    evaluate.rvi_baseline(job.input.train, job.input.validation, job.input.test, job.output[0])
