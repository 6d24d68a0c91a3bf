"""Each Planet date of the test area hidden in turn: the fused series against the radar predictions alone,
the optical dates alone and the per-field random forest; and the coverage of the intervals."""

from sar2ndvi.steps import fusion
from sar2ndvi.steps.job import current_job

if __name__ == "__main__":
    job = current_job(globals(), __doc__)
    i, p, o = job.input, job.params, job.output
    fusion.evaluate_fusion(
        i.prediction,
        i.reference,
        i.pretraining,
        i.regression,
        i.calibration,
        i.mask,
        i.grid,
        i.study_grid,
        i.indexes,
        i.train,
        i.train_mask,
        p.forest,
        p.max_days,
        p.start,
        p.end,
        o.table,
        o.coverage,
        gap_days=p.gap_days,
        threads=job.threads,
    )
