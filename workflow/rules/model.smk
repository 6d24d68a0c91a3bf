rule pretrain:
    input:
        train="results/dataset/pretrain.npz",
        validation="results/dataset/validation.npz",
    output:
        model="results/models/pretrain.pt",
        history="results/models/pretrain_history.csv",
    params:
        model=config["model"],
        stage="pretrain",
    threads: config["model"]["threads"]
    resources:
        gpu=0,
    log:
        "logs/pretrain.log",
    benchmark:
        "results/benchmarks/pretrain.tsv"
    conda:
        "../../envs/model.yaml"
    script:
        "../scripts/train.py"


rule finetune:
    input:
        init="results/models/pretrain.pt",
        train="results/dataset/finetune.npz",
        validation="results/dataset/validation.npz",
    output:
        model="results/models/finetune.pt",
        history="results/models/finetune_history.csv",
    params:
        model=config["model"],
        stage="finetune",
    threads: config["model"]["threads"]
    log:
        "logs/finetune.log",
    benchmark:
        "results/benchmarks/finetune.tsv"
    conda:
        "../../envs/model.yaml"
    script:
        "../scripts/train.py"


# One job predicts every scene of an area: inference takes seconds, far less than starting a
# process per scene, and a new scene still retrains nothing.
rule predict:
    input:
        model="results/models/finetune.pt",
        indexes=predict_indexes,
        mask="results/farms/{area}_mask.tif",
        grid="results/grid/{area}.json",
        study_grid=f"results/grid/{STUDY_AREA}.json",
    output:
        "results/ndvi_{area}.tif",
    params:
        scenes=lambda wildcards: s1_scene_table()[["scene", "start"]].to_dict("list"),
        tta=config["model"]["test_time_augmentation"],
        use_sar_indexes=config["model"]["use_sar_indexes"],
        threads=config["model"]["threads"],
    threads: config["model"]["threads"]
    log:
        "logs/predict/{area}.log",
    benchmark:
        "results/benchmarks/predict/{area}.tsv"
    conda:
        "../../envs/model.yaml"
    script:
        "../scripts/predict.py"
