"""Table 3 of Kimura et al. (2023) on this study: validation (and test) MSE of the method and its ablations."""

from sar2ndvi.steps import evaluate
from sar2ndvi.steps.job import current_job

if __name__ == "__main__":
    job = current_job(globals(), __doc__)
    evaluate.ablation_table(job.params.rows, dict(job.input.items()), job.output[0])
