"""Sentinel-1 σ0 (VV, VH; linear power) calibrated, noise-removed and terrain-corrected onto the study grid."""

from sar2ndvi.steps import sentinel1
from sar2ndvi.steps.job import current_job

if __name__ == "__main__":
    job = current_job(globals(), __doc__)
    sentinel1.sigma0(
        job.input.product,
        job.input.grid,
        job.input.dem,
        job.output[0],
        job.params.settings,
        # the scene's orbit file (sources.orbits: local or asf); none: the annotation's own orbit
        orbit_file=job.input.get("orbit") or None,
        threads=job.threads,
    )
