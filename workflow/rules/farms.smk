rule farm_parcels:
    input:
        store=demo_store_flag("farms"),
    output:
        "results/farms/parcels.gpkg",
    params:
        source=lambda wildcards: source_folder("farms", "maff"),
        land_types=config["farms"]["land_types"],
        crs=config["study"]["crs"],
        undeclared_crs=config["farms"]["crs"],
    log:
        "logs/farm_parcels.log",
    benchmark:
        "results/benchmarks/farm_parcels.tsv"
    conda:
        "../../envs/geo.yaml"
    script:
        "../scripts/farm_parcels.py"


rule farm_mask:
    input:
        parcels=rules.farm_parcels.output[0],
        grid=GRID,
    output:
        "results/farms/{area}_mask.tif",
    log:
        "logs/farm_mask/{area}.log",
    benchmark:
        "results/benchmarks/farm_mask/{area}.tsv"
    conda:
        "../../envs/geo.yaml"
    script:
        "../scripts/farm_mask.py"
