"""Bring one Sentinel-1 product, verified (size, MD5, zip member CRCs), resumed and retried, unpacked
into the .SAFE folder of what σ0 reads (the configured polarisations only)."""

from sar2ndvi.runlog import configure

log = configure(snakemake.log[0])
record = snakemake.params.record
if record is None:
    raise ValueError(
        f"{snakemake.wildcards.scene} is not in the last Sentinel-1 search ({snakemake.input.scenes}) on "
        f"relative orbits {snakemake.config['sentinel1']['relative_orbits'] or 'all'}; search again "
        "(see the README, 'New scenes') or ask for a listed scene"
    )
retries = snakemake.config["downloads"]
polarisations = snakemake.params.polarisations
if snakemake.config["sources"]["sentinel1"] == "asf":
    from sar2ndvi.sources.asf import download_product, earthdata_session
    from sar2ndvi.sources.credentials import earthdata_credentials

    session = earthdata_session(earthdata_credentials())
    download_product(
        record,
        snakemake.output[0],
        session,
        polarisations,
        attempts=retries["attempts"],
        backoff_s=retries["backoff_s"],
        timeout_s=retries["timeout_s"],
    )
else:
    from sar2ndvi.sources.sentinel1 import fetch_scene

    fetch_scene(record, snakemake.output[0], polarisations)
log.info("%s fetched, verified and unpacked (%s)", snakemake.wildcards.scene, ", ".join(polarisations))
