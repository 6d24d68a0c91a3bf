"""The method against its baselines on the test area (farm pixels, Planet NDVI)."""

from sar2ndvi.steps import evaluate
from sar2ndvi.steps.job import current_job

if __name__ == "__main__":
    job = current_job(globals(), __doc__)
    i = job.input
    evaluate.baseline_table(job.params.models, dict(i.items()), i.rvi, i.forest, i.metrics, job.output[0])
