def stage_pairs(stage):
    """S1 scenes of the study period paired with the stage's NDVI dates."""
    from sar2ndvi.pairing import pair_scenes

    target = STAGE_TARGET[stage]
    return pair_scenes(s1_scene_table(), optical_dates(target), config["pairing"]["max_days"])


def dataset_inputs(wildcards):
    stage = wildcards.stage
    pairs = stage_pairs(stage)
    area = STAGE_AREA[stage]
    inputs = {
        "indexes": [f"results/s1/indexes/{s}.tif" for s in pairs["scene"]],
        "targets": [ndvi_path(STAGE_TARGET[stage], d) for d in pairs["ndvi_date"]],
        "mask": f"results/farms/{STUDY_AREA}_mask.tif",
        "study_grid": f"results/grid/{STUDY_AREA}.json",
        "grid": f"results/grid/{area}.json",
    }
    if stage == "pretrain":
        inputs["regression"] = "results/regression/s2_to_planet.json"
        inputs["excluded_grids"] = ["results/grid/validation.json", "results/grid/test.json"]
    return inputs


rule dataset:
    input:
        unpack(dataset_inputs),
    output:
        data="results/dataset/{stage}.npz",
        pairs="results/dataset/{stage}_pairs.csv",
    params:
        pairs=lambda wildcards: stage_pairs(wildcards.stage).to_dict("list"),
        use_sar_indexes=config["model"]["use_sar_indexes"],
        tile_size=96,
        tile_stride=80,
        min_valid_fraction=0.1,
    log:
        "logs/dataset/{stage}.log",
    benchmark:
        "results/benchmarks/dataset/{stage}.tsv"
    script:
        "../scripts/dataset.py"
