rule dataset:
    input:
        indexes=dataset_indexes,
        targets=dataset_targets,
        mask=f"results/farms/{STUDY_AREA}_mask.tif",
        dem="results/dem/heights.tif",
        study_grid=f"results/grid/{STUDY_AREA}.json",
        grid=lambda wildcards: f"results/grid/{STAGE_AREA[wildcards.stage]}.json",
        regression=pretrain_only("results/regression/s2_to_planet.json"),
        excluded_grids=pretrain_only("results/grid/validation.json", "results/grid/test.json"),
    output:
        data="results/dataset/{stage}.npz",
        pairs="results/dataset/{stage}_pairs.csv",
    params:
        pairs=lambda wildcards: stage_pairs(wildcards.stage).to_dict("list"),
        tile_size=96,
        tile_stride=80,
        min_valid_fraction=0.1,
    log:
        "logs/dataset/{stage}.log",
    benchmark:
        "results/benchmarks/dataset/{stage}.tsv"
    conda:
        "../../envs/geo.yaml"
    script:
        "../scripts/dataset.py"
