"""List the Sentinel-1 IW GRD scenes over the study area and period (sorted; rewritten only on change)."""

from pathlib import Path

from sar2ndvi.io import write_text_if_changed
from sar2ndvi.runlog import configure
from sar2ndvi.sources.sentinel1 import search_catalog, search_folder

log = configure(snakemake.log[0])
p = snakemake.params
box = tuple(p.study_box)
if p.source == "asf":
    from sar2ndvi.sources.asf import search_asf

    table = search_asf(box, p.start, p.end, p.flight_direction, p.relative_orbits)
    where = "ASF"
else:
    folder = Path(p.folder)
    if p.source == "demo":
        table = search_catalog(folder / "catalog.json", p.start, p.end, p.flight_direction, box, p.relative_orbits)
    else:
        table = search_folder(folder, p.start, p.end, p.flight_direction, box, p.relative_orbits)
    where = str(folder)
if table.empty:
    raise ValueError(
        f"no {p.flight_direction} Sentinel-1 IW GRD scene over {box} between {p.start} and {p.end} in {where}"
        f"{f' on relative orbits {p.relative_orbits}' if p.relative_orbits else ''}; check the areas, the dates, "
        "sentinel1.flight_direction and sentinel1.relative_orbits"
    )
write_text_if_changed(snakemake.output.scenes, table.to_csv(index=False))
log.info(
    "%d scenes, %s to %s, relative orbits %s",
    len(table),
    table["start"].min(),
    table["start"].max(),
    sorted(set(table["relative_orbit"])),
)
