"""Write the snapped EPSG:32654 grid of one configured area."""

from sar2ndvi.grid import grid_from_lonlat_box
from sar2ndvi.io import write_text_if_changed
from sar2ndvi.runlog import configure

log = configure(snakemake.log[0])
box = snakemake.params.box
study = snakemake.params.study_box
name = snakemake.wildcards.area
inside = (
    study["west"] <= box["west"]
    and box["east"] <= study["east"]
    and study["south"] <= box["south"]
    and box["north"] <= study["north"]
)
if not inside:
    raise ValueError(
        f"config: area {name!r} {box} is not inside the pre-training area {study}; grow areas.pretrain to contain it"
    )
grid = grid_from_lonlat_box(name, crs=snakemake.params.crs, resolution=snakemake.params.resolution, **box)
write_text_if_changed(snakemake.output[0], grid.to_json() + "\n")
log.info("area %s: %d x %d pixels of %g m in %s", name, grid.width, grid.height, grid.resolution, grid.crs)
