"""Write the synthetic demo world (the offline stand-in for ASF, Earth Engine, Planet and MAFF)."""

from sar2ndvi.steps.demo import demo_store
from sar2ndvi.steps.job import current_job

if __name__ == "__main__":
    job = current_job(globals(), __doc__)
    demo_store(job.params.config, job.output[0], workers=job.threads)
