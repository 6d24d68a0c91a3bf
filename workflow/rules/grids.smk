rule area_grid:
    output:
        "results/grid/{area}.json",
    params:
        box=lambda wildcards: config["areas"][wildcards.area],
        crs=config["study"]["crs"],
        resolution=config["study"]["resolution"],
        study_box=lambda wildcards: config["areas"][STUDY_AREA],
    log:
        "logs/area_grid/{area}.log",
    benchmark:
        "results/benchmarks/area_grid/{area}.tsv"
    conda:
        "../../envs/geo.yaml"
    script:
        "../scripts/area_grid.py"


rule dem:
    input:
        grid=f"results/grid/{STUDY_AREA}.json",
        store=demo_store_flag("dem"),
    output:
        "results/dem/heights.tif",
    params:
        source=lambda wildcards: (
            f"{DEMO_STORE}/dem/dem.tif" if config["sources"]["dem"] == "demo" else config["local"].get("dem")
        ),
        geoid_undulation_m=config["sentinel1"]["geoid_undulation_m"],
    log:
        "logs/dem.log",
    benchmark:
        "results/benchmarks/dem.tsv"
    conda:
        "../../envs/geo.yaml"
    script:
        "../scripts/dem.py"
