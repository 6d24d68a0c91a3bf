"""List the Sentinel-1 IW GRD scenes over the study area and period, on every track (sorted; rewritten only on
change). The relative orbits to use are chosen when the list is read."""

from pathlib import Path

from sar2ndvi.io import write_text_if_changed
from sar2ndvi.runlog import configure
from sar2ndvi.sources.sentinel1 import search_catalog, search_folder

log = configure(snakemake.log[0])
p = snakemake.params
box = tuple(p.study_box)
if p.source == "asf":
    from sar2ndvi.sources.asf import search_asf

    table = search_asf(box, p.start, p.end, p.flight_direction)
    where = "ASF"
else:
    folder = Path(p.folder)
    if p.source == "demo":
        table = search_catalog(folder / "catalog.json", p.start, p.end, p.flight_direction, box)
    else:
        table = search_folder(folder, p.start, p.end, p.flight_direction, box)
    where = str(folder)
if table.empty:
    raise ValueError(
        f"no {p.flight_direction} Sentinel-1 IW GRD scene over {box} between {p.start} and {p.end} in {where}"
        "; check the areas, the dates and sentinel1.flight_direction"
    )
write_text_if_changed(snakemake.output.scenes, table.to_csv(index=False))
log.info(
    "%d scenes, %s to %s, relative orbits %s",
    len(table),
    table["start"].min(),
    table["start"].max(),
    sorted(set(table["relative_orbit"])),
)
