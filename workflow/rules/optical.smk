# One search at a time (s1_search, s2_search, planet_search): Snakemake plans the workflow again
# each time a checkpoint finishes, and a search still running then has no table on disk, so the
# jobs that read it would be planned as out of date.
checkpoint s2_search:
    input:
        store=demo_store_flag("sentinel2"),
        after=ancient(S1_SCENES),
    output:
        scenes=OPTICAL_SCENES["sentinel2"],
    params:
        kind="sentinel2",
        source=config["sources"]["sentinel2"],
        folder=lambda wildcards: source_folder("sentinel2", "sentinel2"),
        start=config["study"]["start"],
        end=config["study"]["end"],
        study_box=study_box(),
        export_folder=S2_EXPORTS,
        max_scene_cloud_percent=config["sentinel2"]["max_scene_cloud_percent"],
    resources:
        ee_requests=1,
    log:
        "logs/s2_search.log",
    benchmark:
        "results/benchmarks/s2_search.tsv"
    conda:
        "../../envs/sources.yaml"
    script:
        "../scripts/optical_search.py"


checkpoint planet_search:
    input:
        store=demo_store_flag("planet"),
        after=ancient(OPTICAL_SCENES["sentinel2"]),
    output:
        scenes=OPTICAL_SCENES["planet"],
    params:
        kind="planet",
        source=config["sources"]["planet"],
        folder=lambda wildcards: source_folder("planet", "planet"),
        start=config["study"]["start"],
        end=config["study"]["end"],
    log:
        "logs/planet_search.log",
    benchmark:
        "results/benchmarks/planet_search.tsv"
    conda:
        "../../envs/geo.yaml"
    script:
        "../scripts/optical_search.py"


# Only the Earth Engine source lists scenes under S2_EXPORTS; the others list files that exist.
rule s2_fetch:
    input:
        grid=STUDY_GRID,
    output:
        f"{S2_EXPORTS}/{{s2_scene}}.tif",
    resources:
        ee_requests=1,
    log:
        "logs/s2_fetch/{s2_scene}.log",
    benchmark:
        "results/benchmarks/s2_fetch/{s2_scene}.tsv"
    conda:
        "../../envs/sources.yaml"
    script:
        "../scripts/s2_fetch.py"


rule s2_ndvi:
    input:
        table=ancient(OPTICAL_SCENES["sentinel2"]),
        scenes=optical_scenes("sentinel2", "path"),
        masks=optical_scenes("sentinel2", "mask_path"),
        grid=STUDY_GRID,
    output:
        "results/s2/ndvi/{date}.tif",
    params:
        kind="sentinel2",
        cloud_probability_max=config["sentinel2"]["cloud_probability_max"],
    log:
        "logs/s2_ndvi/{date}.log",
    benchmark:
        "results/benchmarks/s2_ndvi/{date}.tsv"
    conda:
        "../../envs/geo.yaml"
    script:
        "../scripts/optical_ndvi.py"


rule planet_ndvi:
    input:
        table=ancient(OPTICAL_SCENES["planet"]),
        scenes=optical_scenes("planet", "path"),
        masks=optical_scenes("planet", "mask_path"),
        grid=STUDY_GRID,
    output:
        "results/planet/ndvi/{date}.tif",
    params:
        kind="planet",
        cloud_probability_max=None,
    log:
        "logs/planet_ndvi/{date}.log",
    benchmark:
        "results/benchmarks/planet_ndvi/{date}.tsv"
    conda:
        "../../envs/geo.yaml"
    script:
        "../scripts/optical_ndvi.py"


# A checkpoint: the pre-training dataset reads the fit in its params (common.smk,
# pretraining_calibration), and is re-evaluated once a refit is known.
checkpoint s2_planet_regression:
    input:
        tables=[ancient(OPTICAL_SCENES["sentinel2"]), ancient(OPTICAL_SCENES["planet"])],
        s2=regression_ndvi("sentinel2"),
        planet=regression_ndvi("planet"),
        mask=output_of(rules.farm_mask.output[0], area=STUDY_AREA),
        grid=STUDY_GRID,
    output:
        fit=REGRESSION_FIT,
        samples="results/regression/s2_to_planet_samples.csv",
    params:
        max_days=config["pairing"]["max_days"],
        samples=20000,
    log:
        "logs/s2_planet_regression.log",
    benchmark:
        "results/benchmarks/s2_planet_regression.tsv"
    conda:
        "../../envs/geo.yaml"
    script:
        "../scripts/s2_planet_regression.py"
