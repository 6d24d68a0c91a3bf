"""Write the synthetic demo world (the offline stand-in for ASF, Earth Engine, Planet and MAFF)."""

import time
from pathlib import Path

from sar2ndvi.demo import DemoSpec, build_demo_store
from sar2ndvi.io import write_json
from sar2ndvi.runlog import configure

log = configure(snakemake.log[0])
out = Path(snakemake.output[0]).parent
spec = DemoSpec.from_config(snakemake.params.config)
started = time.perf_counter()
build_demo_store(spec, out, workers=snakemake.threads)
files = sorted(p for p in out.rglob("*") if p.is_file() and p.name != "STORE.json")
log.info("demo world with %d files written to %s in %.1f s", len(files), out, time.perf_counter() - started)
write_json(
    snakemake.output[0],
    {"seed": spec.seed, "files": {str(p.relative_to(out)): p.stat().st_size for p in files}},
)
