# One rule trains every model: pretrain (S1 → corrected S2 NDVI), finetune (from pretrain, S1 →
# Planet NDVI) and scratch (S1 → Planet NDVI without pre-training, the "no pre-training" ablation).
# Its params hold only what the weights depend on: a change of model.threads, model.device or of an
# inference setting retrains nothing. The pre-training dataset cuts its tiles from the index rasters
# it names (their SHA-256 checked); they are the dataset's inputs, not declared again here: a train
# input that depends on the Sentinel-1 search kept jobs of scenes a new search no longer lists in
# the re-planned DAG, and their downloads failed.
rule train:
    input:
        train=training_data,
        validation=validation_data,
        init=pretrained_model,
    output:
        model="results/models/{variant}/{stage}.pt",
        history="results/models/{variant}/{stage}_history.csv",
    wildcard_constraints:
        variant=VARIANT_PATTERN,
        stage="pretrain|finetune|scratch",
    params:
        settings=training_settings,
    threads: config["model"]["threads"]
    resources:
        gpu=GPUS,
        mem_mb=8000,
        runtime=720,
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
        scenes=ancient(S1_SCENES),
        models=prediction_models,
        indexes=predict_indexes,
        dem=rules.dem.output[0],
        mask=rules.farm_mask.output[0],
        grid=rules.area_grid.output[0],
        study_grid=STUDY_GRID,
    output:
        "results/ndvi_{area}.tif",
    params:
        scenes=predicted_scenes,
        tta=config["model"]["test_time_augmentation"],
        ensemble=False,
    threads: config["model"]["threads"]
    resources:
        gpu=GPUS,
        mem_mb=4000,
        runtime=60,
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
        scenes=ancient(S1_SCENES),
        models=[output_of(rules.train.output.model, variant=v, stage="finetune") for v in ENSEMBLE_VARIANTS],
        indexes=predict_indexes,
        dem=rules.dem.output[0],
        mask=rules.farm_mask.output[0],
        grid=rules.area_grid.output[0],
        study_grid=STUDY_GRID,
    output:
        "results/ndvi_{area}_ensemble.tif",
    params:
        scenes=predicted_scenes,
        tta=config["model"]["test_time_augmentation"],
        ensemble=True,
    threads: config["model"]["threads"]
    resources:
        gpu=GPUS,
        mem_mb=4000,
        runtime=60,
    log:
        "logs/predict_ensemble/{area}.log",
    benchmark:
        "results/benchmarks/predict_ensemble/{area}.tsv"
    conda:
        "../../envs/model.yaml"
    script:
        "../scripts/predict.py"
