"""The errors of the radar predictions and of each optical sensor, the smoothness of the fused series and
its interval factors, measured on the validation area."""

from sar2ndvi.steps import fusion
from sar2ndvi.steps.job import current_job

if __name__ == "__main__":
    job = current_job(globals(), __doc__)
    i, p = job.input, job.params
    fusion.calibrate(
        i.prediction,
        i.reference,
        i.pretraining,
        i.regression,
        i.mask,
        i.grid,
        i.study_grid,
        p.settings,
        p.max_days,
        p.start,
        p.end,
        job.output[0],
    )
