"""Farm parcels of the selected MAFF land types, reprojected to the grid CRS."""

from pathlib import Path

from sar2ndvi.farms import farm_parcels, read_fude_source, write_parcels
from sar2ndvi.runlog import configure

log = configure(snakemake.log[0])
source = Path(snakemake.params.source or "")
parcels = farm_parcels(read_fude_source(source), list(snakemake.params.land_types), snakemake.params.crs)
if parcels.empty:
    raise ValueError(f"{source}: no parcel of land_type {snakemake.params.land_types}; check farms.land_types")
write_parcels(parcels, snakemake.output[0])
log.info("%d parcels of land_type %s from %s", len(parcels), snakemake.params.land_types, source.name)
