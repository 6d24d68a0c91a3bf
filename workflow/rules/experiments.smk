# Table 3 of Kimura et al. (2023) and the baselines, on the same samples as the method.


rule score:
    input:
        model=rules.train.output.model,
        data=output_of(rules.dataset.output.data, stage="{split}"),
    output:
        "results/scores/{variant}/{stage}_{tta}_{split}.json",
    wildcard_constraints:
        variant=VARIANT_PATTERN,
        stage="pretrain|finetune|scratch",
        tta="tta|notta",
        split="validation|test",
    threads: config["model"]["threads"]
    resources:
        gpu=GPUS,
        mem_mb=4000,
        runtime=60,
    log:
        "logs/score/{variant}/{stage}_{tta}_{split}.log",
    benchmark:
        "results/benchmarks/score/{variant}/{stage}_{tta}_{split}.tsv"
    conda:
        "../../envs/model.yaml"
    script:
        "../scripts/score.py"


rule ablation:
    input:
        **{f"{row['key']}_{split}": f"{row['score']}_{split}.json" for row in ablation_rows() for split in ("validation", "test")},
    output:
        "results/ablation.csv",
    params:
        rows=ablation_rows(),
    log:
        "logs/ablation.log",
    benchmark:
        "results/benchmarks/ablation.tsv"
    conda:
        "../../envs/geo.yaml"
    script:
        "../scripts/ablation_table.py"


rule baseline_rvi:
    input:
        train=output_of(rules.dataset.output.data, stage="finetune"),
        validation=output_of(rules.dataset.output.data, stage="validation"),
        test=output_of(rules.dataset.output.data, stage="test"),
    output:
        "results/baselines/rvi_linear.json",
    log:
        "logs/baselines/rvi_linear.log",
    benchmark:
        "results/benchmarks/baselines/rvi_linear.tsv"
    conda:
        "../../envs/geo.yaml"
    script:
        "../scripts/baseline_rvi.py"


rule baseline_field_forest:
    input:
        train=output_of(rules.dataset.output.data, stage="finetune"),
        validation=output_of(rules.dataset.output.data, stage="validation"),
        test=output_of(rules.dataset.output.data, stage="test"),
        parcels=output_of(rules.farm_mask.output[0], area=STUDY_AREA),
        study_grid=STUDY_GRID,
        train_grid=output_of(rules.area_grid.output[0], area="train"),
        validation_grid=output_of(rules.area_grid.output[0], area="validation"),
        test_grid=output_of(rules.area_grid.output[0], area="test"),
    output:
        "results/baselines/field_random_forest.json",
    params:
        settings=canonical(config["baselines"]["random_forest"]),
    threads: config["model"]["threads"]
    resources:
        mem_mb=4000,
    log:
        "logs/baselines/field_random_forest.log",
    benchmark:
        "results/benchmarks/baselines/field_random_forest.tsv"
    conda:
        "../../envs/geo.yaml"
    script:
        "../scripts/baseline_field_forest.py"


rule baselines:
    input:
        **{
            f"{key}_{split}": output_of(rules.score.output[0], variant=variant, stage=stage, tta=tta, split=split)
            for key, (_, variant, stage, tta) in BASELINE_MODELS.items()
            for split in ("validation", "test")
        },
        rvi=rules.baseline_rvi.output[0],
        forest=rules.baseline_field_forest.output[0],
        metrics=rules.evaluate.output[0],
    output:
        "results/baselines.csv",
    params:
        models={key: label for key, (label, *_) in BASELINE_MODELS.items()},
    log:
        "logs/baselines.log",
    benchmark:
        "results/benchmarks/baselines.tsv"
    conda:
        "../../envs/geo.yaml"
    script:
        "../scripts/baseline_table.py"


# Everything the method's evaluation shows, from one command: snakemake --cores 8 experiments
rule experiments:
    input:
        "results/metrics.json",
        "results/ablation.csv",
        "results/baselines.csv",
        "results/ndvi_test_ensemble.tif",
