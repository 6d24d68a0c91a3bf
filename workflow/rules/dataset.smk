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
    conda:
        "../../envs/geo.yaml"
    script:
        "../scripts/dataset.py"
