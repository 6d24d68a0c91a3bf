# One rule trains every model: pretrain (S1 → corrected S2 NDVI), finetune (from pretrain, S1 →
# Planet NDVI) and scratch (S1 → Planet NDVI without pre-training, the "no pre-training" ablation).
# Checkpoints are protected: retraining one means deleting it on purpose.
rule train:
    input:
        train=training_data,
        validation="results/dataset/validation.npz",
        init=pretrained_model,
    output:
        model=protected("results/models/{variant}/{stage}.pt"),
        history="results/models/{variant}/{stage}_history.csv",
    wildcard_constraints:
        variant=VARIANT_PATTERN,
        stage="pretrain|finetune|scratch",
    params:
        model=config["model"],
    threads: config["model"]["threads"]
    log:
        "logs/train/{variant}/{stage}.log",
    benchmark:
        "results/benchmarks/train/{variant}/{stage}.tsv"
    conda:
        "../../envs/model.yaml"
    script:
        "../scripts/train.py"


# One job predicts every scene of an area: inference takes seconds, far less than starting a
# process per scene, and a new scene still retrains nothing.
rule predict:
    input:
        models=[f"results/models/{MAIN_VARIANT}/finetune.pt"],
        indexes=predict_indexes,
        dem="results/dem/heights.tif",
        mask="results/farms/{area}_mask.tif",
        grid="results/grid/{area}.json",
        study_grid=f"results/grid/{STUDY_AREA}.json",
    output:
        "results/ndvi_{area}.tif",
    params:
        scenes=lambda wildcards: s1_scene_table()[["scene", "start"]].to_dict("list"),
        tta=config["model"]["test_time_augmentation"],
        ensemble=False,
    threads: config["model"]["threads"]
    log:
        "logs/predict/{area}.log",
    benchmark:
        "results/benchmarks/predict/{area}.tsv"
    conda:
        "../../envs/model.yaml"
    script:
        "../scripts/predict.py"


# The same models trained with other seeds: mean and standard deviation per acquisition.
rule predict_ensemble:
    input:
        models=[f"results/models/{variant}/finetune.pt" for variant in ENSEMBLE_VARIANTS],
        indexes=predict_indexes,
        dem="results/dem/heights.tif",
        mask="results/farms/{area}_mask.tif",
        grid="results/grid/{area}.json",
        study_grid=f"results/grid/{STUDY_AREA}.json",
    output:
        "results/ndvi_{area}_ensemble.tif",
    params:
        scenes=lambda wildcards: s1_scene_table()[["scene", "start"]].to_dict("list"),
        tta=config["model"]["test_time_augmentation"],
        ensemble=True,
    threads: config["model"]["threads"]
    log:
        "logs/predict_ensemble/{area}.log",
    benchmark:
        "results/benchmarks/predict_ensemble/{area}.tsv"
    conda:
        "../../envs/model.yaml"
    script:
        "../scripts/predict.py"
