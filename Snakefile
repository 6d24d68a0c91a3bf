# sar2ndvi: Sentinel-1 SAR → NDVI of crop fields (Kimura et al. 2023), as a Snakemake workflow.
# Usage: snakemake --cores 8 results/ndvi_test.tif      (see README.md)

import os
import sys
from pathlib import Path

from snakemake.utils import min_version, validate

sys.path.insert(0, str(Path(workflow.basedir, "src")))

min_version("9.0")


# The workflow's own defaults, wherever it runs (--directory): --configfile=FILE and --config override them.
configfile: os.path.join(workflow.basedir, "config", "config.yaml")


# the schema lives in the package, which reads its defaults too (sar2ndvi.settings)
validate(config, "src/sar2ndvi/config.schema.yaml")


report: "workflow/report/workflow.rst"


include: "workflow/rules/common.smk"
include: "workflow/rules/demo.smk"
include: "workflow/rules/grids.smk"
include: "workflow/rules/sentinel1.smk"
include: "workflow/rules/farms.smk"
include: "workflow/rules/optical.smk"
include: "workflow/rules/dataset.smk"
include: "workflow/rules/model.smk"
include: "workflow/rules/evaluate.smk"
include: "workflow/rules/experiments.smk"
include: "workflow/rules/fusion.smk"
include: "workflow/rules/report.smk"


# Searches and small tables run in the main process, also under a cluster executor: each is
# done in a second, far less than a cluster job's start.
localrules:
    all,
    experiments,
    fusion,
    s1_search,
    optical_search,
    optical_clear_fractions,
    area_grid,
    ablation,
    baselines,


onsuccess:
    run_summary()


onerror:
    run_summary()


rule all:
    default_target: True
    input:
        "results/ndvi_test.tif",
        "results/metrics.json",
