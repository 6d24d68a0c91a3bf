"""List the Sentinel-1 IW GRD scenes over the study area and period."""

from pathlib import Path

from sar2ndvi.io import write_text_if_changed
from sar2ndvi.runlog import configure
from sar2ndvi.sources.sentinel1 import search_catalog, search_folder

log = configure(snakemake.log[0])
p = snakemake.params
folder = Path(p.folder)
if p.source == "demo":
    table = search_catalog(folder / "catalog.json", p.start, p.end, p.flight_direction, tuple(p.study_box))
else:
    table = search_folder(folder, p.start, p.end, p.flight_direction, tuple(p.study_box))
if table.empty:
    raise ValueError(
        f"no {p.flight_direction} Sentinel-1 IW GRD scene over {tuple(p.study_box)} between {p.start} and {p.end} "
        f"in {folder}; check the areas, the dates and sentinel1.flight_direction"
    )
write_text_if_changed(snakemake.output.scenes, table.to_csv(index=False))
log.info(
    "%d scenes, %s to %s, relative orbits %s",
    len(table),
    table["start"].min(),
    table["start"].max(),
    sorted(set(table["relative_orbit"])),
)
