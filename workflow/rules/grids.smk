rule area_grid:
    output:
        GRID,
    params:
        box=lambda wildcards: canonical(config["areas"][wildcards.area]),
        crs=config["study"]["crs"],
        resolution=config["study"]["resolution"],
        study_box=lambda wildcards: canonical(config["areas"][STUDY_AREA]),
    log:
        "logs/area_grid/{area}.log",
    benchmark:
        "results/benchmarks/area_grid/{area}.tsv"
    conda:
        "../../envs/geo.yaml"
    script:
        "../scripts/area_grid.py"


rule dem_copernicus:
    output:
        COPERNICUS_DEM,
    params:
        study_box=study_box(),
        tile_folder="resources/copernicus_dem",
    resources:
        downloads=1,
    log:
        "logs/dem_copernicus.log",
    benchmark:
        "results/benchmarks/dem_copernicus.tsv"
    conda:
        "../../envs/sources.yaml"
    script:
        "../scripts/dem_copernicus.py"


rule dem:
    input:
        grid=STUDY_GRID,
        store=demo_store_flag("dem"),
        downloaded=COPERNICUS_DEM if config["sources"]["dem"] == "copernicus" else [],
    output:
        HEIGHTS,
    params:
        source=dem_source(),
        geoid_undulation_m=config["sentinel1"]["geoid_undulation_m"],
    log:
        "logs/dem.log",
    benchmark:
        "results/benchmarks/dem.tsv"
    conda:
        "../../envs/geo.yaml"
    script:
        "../scripts/dem.py"
