checkpoint s1_search:
    input:
        store=demo_store_flag("sentinel1"),
    output:
        scenes="results/s1/scenes.csv",
    params:
        source=config["sources"]["sentinel1"],
        folder=lambda wildcards: source_folder("sentinel1", "sentinel1"),
        start=config["study"]["start"],
        end=config["study"]["end"],
        flight_direction=config["sentinel1"]["flight_direction"],
        relative_orbits=config["sentinel1"]["relative_orbits"],
        study_box=study_box(),
    log:
        "logs/s1_search.log",
    benchmark:
        "results/benchmarks/s1_search.tsv"
    conda:
        "../../envs/sentinel1.yaml"
    script:
        "../scripts/s1_search.py"


# The scene record travels as params, not as the scene table: a new search result must not
# make every earlier download out of date. Retry settings are read from the config, not
# params, for the same reason.
rule s1_download:
    output:
        "results/s1/products/{scene}.zip",
    params:
        record=s1_record,
    resources:
        downloads=1,
    log:
        "logs/s1_download/{scene}.log",
    benchmark:
        "results/benchmarks/s1_download/{scene}.tsv"
    conda:
        "../../envs/sentinel1.yaml"
    script:
        "../scripts/s1_download.py"


rule s1_sigma0:
    input:
        product="results/s1/products/{scene}.zip",
        dem="results/dem/heights.tif",
        grid=f"results/grid/{STUDY_AREA}.json",
    output:
        "results/s1/sigma0/{scene}.tif",
    params:
        settings=config["sentinel1"],
    log:
        "logs/s1_sigma0/{scene}.log",
    benchmark:
        "results/benchmarks/s1_sigma0/{scene}.tsv"
    conda:
        "../../envs/sentinel1.yaml"
    script:
        "../scripts/s1_sigma0.py"


rule sar_indexes:
    input:
        sigma0="results/s1/sigma0/{scene}.tif",
        grid=f"results/grid/{STUDY_AREA}.json",
    output:
        "results/s1/indexes/{scene}.tif",
    log:
        "logs/sar_indexes/{scene}.log",
    benchmark:
        "results/benchmarks/sar_indexes/{scene}.tsv"
    conda:
        "../../envs/geo.yaml"
    script:
        "../scripts/sar_indexes.py"
