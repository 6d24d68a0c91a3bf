"""The report's figures: NDVI maps per date, training curves, scatter, parcel time series, regression, tables."""

from sar2ndvi.steps.job import current_job
from sar2ndvi.steps.report import report_figures

if __name__ == "__main__":
    job = current_job(globals(), __doc__)
    report_figures(dict(job.input.items()), dict(job.output.items()), job.params.parcels, tuple(job.params.sensors))
