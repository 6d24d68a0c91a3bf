"""Test-area metrics of the predicted NDVI against Planet NDVI, beside trivial baselines."""

from sar2ndvi.steps import evaluate
from sar2ndvi.steps.job import current_job

if __name__ == "__main__":
    job = current_job(globals(), __doc__)
    i = job.input
    evaluate.evaluate(i.prediction, i.test, i.test_pairs, i.finetune, i.finetune_pairs, job.output[0])
