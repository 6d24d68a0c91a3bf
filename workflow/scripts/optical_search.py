"""List the optical scenes (Sentinel-2 or PlanetScope) of the study period, sorted; rewritten only on change."""

from sar2ndvi.io import write_text_if_changed
from sar2ndvi.runlog import configure
from sar2ndvi.sources.optical import list_planet, list_sentinel2

log = configure(snakemake.log[0])
p = snakemake.params
if p.source == "earthengine":
    from sar2ndvi.sources.earthengine import initialize, search_sentinel2

    project = initialize(
        snakemake.config["earthengine"]["project"], snakemake.config["earthengine"]["service_account_key"]
    )
    log.info("Earth Engine project %s", project)
    table = search_sentinel2(
        tuple(p.study_box),
        p.start,
        p.end,
        p.export_folder,
        p.max_scene_cloud_percent,
        attempts=snakemake.config["downloads"]["attempts"],
        backoff_s=snakemake.config["downloads"]["backoff_s"],
    )
else:
    lister = {"sentinel2": list_sentinel2, "planet": list_planet}[p.kind]
    table = lister(p.folder, p.start, p.end)
    if table.empty:
        raise ValueError(
            f"no {p.kind} scene between {p.start} and {p.end} in {p.folder}; check the folder and the dates"
        )
write_text_if_changed(snakemake.output.scenes, table.to_csv(index=False))
log.info("%s: %d scenes on %d dates", p.kind, len(table), table["date"].nunique())
