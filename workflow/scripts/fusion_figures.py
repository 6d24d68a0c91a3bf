"""The report's fusion figures: a few fields' gap-free curves with their bands, the calibration plot, the table."""

from sar2ndvi.steps import fusion
from sar2ndvi.steps.job import current_job

if __name__ == "__main__":
    job = current_job(globals(), __doc__)
    i, o = job.input, job.output
    fusion.fusion_figures(
        i.fields, i.coverage, i.table, job.params.sensors, job.params.parcels, o.curves, o.calibration, o.table
    )
