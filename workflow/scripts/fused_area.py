"""The gap-free NDVI of an area, per pixel and per field, and its per-field table (GeoParquet and CSV)."""

from sar2ndvi.steps import fusion
from sar2ndvi.steps.job import current_job

if __name__ == "__main__":
    job = current_job(globals(), __doc__)
    i, p, o = job.input, job.params, job.output
    fusion.fuse_area(
        i.prediction,
        i.reference,
        i.pretraining,
        i.regression,
        i.calibration,
        i.mask,
        i.parcels,
        i.grid,
        i.study_grid,
        p.sensors,
        p.start,
        p.end,
        o.fused,
        o.std,
        o.fields,
        o.fields_csv,
        ensemble=i.ensemble or None,
    )
