"""The ten SAR index channels of Kimura et al. (2023) from σ0 VV and VH."""

from sar2ndvi.steps import sentinel1
from sar2ndvi.steps.job import current_job

if __name__ == "__main__":
    job = current_job(globals(), __doc__)
    sentinel1.indexes(job.input.sigma0, job.input.grid, job.output[0], job.wildcards.scene)
