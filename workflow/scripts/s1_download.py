"""Bring one Sentinel-1 product, verified (size, MD5, zip member CRCs), resumed and retried, unpacked
into the .SAFE folder of what σ0 reads (the configured polarisations only)."""

from sar2ndvi.steps import sentinel1
from sar2ndvi.steps.job import current_job

if __name__ == "__main__":
    job = current_job(globals(), __doc__)
    sentinel1.download(
        job.params.record,
        job.wildcards.scene,
        job.config["sources"]["sentinel1"],
        job.params.polarisations,
        job.output[0],
        # retries are read from the config, not params: changing them must not rerun downloads
        job.config["downloads"],
        scenes_table=job.input.scenes,
        relative_orbits=job.config["sentinel1"]["relative_orbits"],
    )
