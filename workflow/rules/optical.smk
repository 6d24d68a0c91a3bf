# Optical NDVI, for each sensor of `sensors` (sar2ndvi.sensors.SENSORS): the search, the Earth Engine
# fetch, the NDVI of a date, and the regression that maps the pre-training sensor onto the reference.


# One search at a time (s1_search, then each sensor's): Snakemake plans the workflow again each time
# a checkpoint finishes, and a search still running then has no table on disk, so the jobs that
# read it would be planned as out of date.
checkpoint optical_search:
    input:
        store=lambda wildcards: demo_store_flag(wildcards.sensor),
        after=search_predecessor,
    output:
        scenes=OPTICAL_SCENES,
    params:
        source=lookup(dpath="sources/{sensor}", within=config),
        folder=lambda wildcards: source_folder(wildcards.sensor, wildcards.sensor),
        start=config["study"]["start"],
        end=config["study"]["end"],
        earthengine=earthengine_search,
    resources:
        ee_requests=lambda wildcards: int(config["sources"][wildcards.sensor] == "earthengine"),
    log:
        "logs/optical_search/{sensor}.log",
    benchmark:
        "results/benchmarks/optical_search/{sensor}.tsv"
    conda:
        "../../envs/sources.yaml"
    script:
        "../scripts/optical_search.py"


# Only an Earth Engine source lists scenes under OPTICAL_EXPORTS; the others list files that exist.
rule optical_fetch:
    input:
        grid=STUDY_GRID,
    output:
        f"{OPTICAL_EXPORTS}/{{export}}.tif",
    resources:
        ee_requests=1,
    log:
        "logs/optical_fetch/{sensor}/{export}.log",
    benchmark:
        "results/benchmarks/optical_fetch/{sensor}/{export}.tsv"
    conda:
        "../../envs/sources.yaml"
    script:
        "../scripts/optical_fetch.py"


rule optical_ndvi:
    input:
        table=ancient(OPTICAL_SCENES),
        scenes=optical_scene_files("path"),
        masks=optical_scene_files("mask_path"),
        grid=STUDY_GRID,
    output:
        "results/{sensor}/ndvi/{date}.tif",
    params:
        settings=lambda wildcards: ndvi_settings(wildcards.sensor),
    log:
        "logs/optical_ndvi/{sensor}/{date}.log",
    benchmark:
        "results/benchmarks/optical_ndvi/{sensor}/{date}.tsv"
    conda:
        "../../envs/geo.yaml"
    script:
        "../scripts/optical_ndvi.py"


# A checkpoint: pairing reads it (common.smk, stage_pairs) to leave out dates that saw none of a
# stage's farms. Rewritten whenever an NDVI changes; the datasets read it as an ancient input and
# rerun only when their pairs (params) change.
checkpoint optical_clear_fractions:
    input:
        table=ancient(OPTICAL_SCENES),
        ndvi=lambda wildcards: [ndvi_path(wildcards.sensor, d) for d in optical_dates(wildcards.sensor)],
        mask=output_of(rules.farm_mask.output[0], area=STUDY_AREA),
        study_grid=STUDY_GRID,
        # every configured area: the stages' pairing, and the fusion of any area
        grids=[GRID.format(area=area) for area in sorted(AREAS)],
    output:
        CLEAR_FRACTIONS,
    log:
        "logs/optical_clear_fractions/{sensor}.log",
    benchmark:
        "results/benchmarks/optical_clear_fractions/{sensor}.tsv"
    conda:
        "../../envs/geo.yaml"
    script:
        "../scripts/optical_clear_fractions.py"


# A checkpoint: the pre-training dataset reads the fit in its params (common.smk,
# pretraining_calibration), and is re-evaluated once a refit is known.
checkpoint optical_regression:
    input:
        tables=[ancient(OPTICAL_SCENES.format(sensor=s)) for s in (PRETRAINING_SENSOR, REFERENCE_SENSOR)],
        source=regression_ndvi(PRETRAINING_SENSOR),
        reference=regression_ndvi(REFERENCE_SENSOR),
        mask=output_of(rules.farm_mask.output[0], area=STUDY_AREA),
        grid=STUDY_GRID,
    output:
        fit=f"results/regression/{PRETRAINING_SENSOR}_to_{REFERENCE_SENSOR}.json",
        samples=f"results/regression/{PRETRAINING_SENSOR}_to_{REFERENCE_SENSOR}_samples.csv",
    params:
        source=PRETRAINING_SENSOR,
        reference=REFERENCE_SENSOR,
        max_days=config["pairing"]["max_days"],
        samples=20000,
    log:
        "logs/optical_regression.log",
    benchmark:
        "results/benchmarks/optical_regression.tsv"
    conda:
        "../../envs/geo.yaml"
    script:
        "../scripts/optical_regression.py"
