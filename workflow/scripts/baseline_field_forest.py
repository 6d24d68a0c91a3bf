"""Baseline: random forest on per-field SAR statistics (Pelta et al., 2022), field-mean NDVI."""

from sar2ndvi.steps import evaluate
from sar2ndvi.steps.job import current_job

if __name__ == "__main__":
    job = current_job(globals(), __doc__)
    i = job.input
    splits = ("train", "validation", "test")
    evaluate.field_forest_baseline(
        {split: i[split] for split in splits},
        {split: i[f"{split}_grid"] for split in splits},
        i.parcels,
        i.study_grid,
        job.params.settings,
        job.output[0],
        threads=job.threads,
    )
