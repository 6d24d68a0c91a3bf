checkpoint s2_search:
    input:
        store=demo_store_flag("sentinel2"),
    output:
        scenes="results/s2/scenes.csv",
    params:
        kind="sentinel2",
        folder=lambda wildcards: source_folder("sentinel2", "sentinel2"),
        start=config["study"]["start"],
        end=config["study"]["end"],
    log:
        "logs/s2_search.log",
    benchmark:
        "results/benchmarks/s2_search.tsv"
    script:
        "../scripts/optical_search.py"


checkpoint planet_search:
    input:
        store=demo_store_flag("planet"),
    output:
        scenes="results/planet/scenes.csv",
    params:
        kind="planet",
        folder=lambda wildcards: source_folder("planet", "planet"),
        start=config["study"]["start"],
        end=config["study"]["end"],
    log:
        "logs/planet_search.log",
    benchmark:
        "results/benchmarks/planet_search.tsv"
    script:
        "../scripts/optical_search.py"


def optical_files(name):
    def files(wildcards):
        rows = optical_table(name)
        rows = rows[rows["date"] == wildcards.date]
        return {"scenes": list(rows["path"]), "masks": [m for m in rows["mask_path"] if m]}

    return files


rule s2_ndvi:
    input:
        unpack(optical_files("sentinel2")),
        grid=f"results/grid/{STUDY_AREA}.json",
    output:
        "results/s2/ndvi/{date}.tif",
    params:
        kind="sentinel2",
        cloud_probability_max=config["sentinel2"]["cloud_probability_max"],
    log:
        "logs/s2_ndvi/{date}.log",
    benchmark:
        "results/benchmarks/s2_ndvi/{date}.tsv"
    script:
        "../scripts/optical_ndvi.py"


rule planet_ndvi:
    input:
        unpack(optical_files("planet")),
        grid=f"results/grid/{STUDY_AREA}.json",
    output:
        "results/planet/ndvi/{date}.tif",
    params:
        kind="planet",
        cloud_probability_max=None,
    log:
        "logs/planet_ndvi/{date}.log",
    benchmark:
        "results/benchmarks/planet_ndvi/{date}.tsv"
    script:
        "../scripts/optical_ndvi.py"


def regression_inputs(wildcards):
    s2 = optical_dates("sentinel2")
    planet = optical_dates("planet")
    return {
        "s2": [ndvi_path("sentinel2", d) for d in s2],
        "planet": [ndvi_path("planet", d) for d in planet],
    }


rule s2_planet_regression:
    input:
        unpack(regression_inputs),
        mask=f"results/farms/{STUDY_AREA}_mask.tif",
        grid=f"results/grid/{STUDY_AREA}.json",
    output:
        "results/regression/s2_to_planet.json",
    params:
        max_days=config["pairing"]["max_days"],
    log:
        "logs/s2_planet_regression.log",
    benchmark:
        "results/benchmarks/s2_planet_regression.tsv"
    script:
        "../scripts/s2_planet_regression.py"
