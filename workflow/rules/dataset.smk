rule dataset:
    input:
        tables=stage_tables,
        indexes=dataset_indexes,
        targets=dataset_targets,
        mask=output_of(rules.farm_mask.output[0], area=STUDY_AREA),
        dem=rules.dem.output[0],
        study_grid=STUDY_GRID,
        grid=lambda wildcards: output_of(rules.area_grid.output[0], area=STAGE_AREA[wildcards.stage]),
        regression=pretrain_only(ancient(output_of(rules.optical_regression.output.fit))),
        excluded_grids=pretrain_only(GRID.format(area="validation"), GRID.format(area="test")),
    output:
        data="results/dataset/{stage}.npz",
        pairs="results/dataset/{stage}_pairs.csv",
        record="results/dataset/{stage}.json",
    params:
        pairs=lambda wildcards: stage_pairs(wildcards.stage).to_dict("list"),
        calibration=pretraining_calibration,
        tile_size=96,
        tile_stride=80,
        min_valid_fraction=0.1,
    resources:
        mem_mb=8000,
        runtime=60,
    log:
        "logs/dataset/{stage}.log",
    benchmark:
        "results/benchmarks/dataset/{stage}.tsv"
    conda:
        "../../envs/geo.yaml"
    script:
        "../scripts/dataset.py"
