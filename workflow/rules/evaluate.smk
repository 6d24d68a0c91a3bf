rule evaluate:
    input:
        prediction="results/ndvi_test.tif",
        test="results/dataset/test.npz",
        test_pairs="results/dataset/test_pairs.csv",
        finetune="results/dataset/finetune.npz",
        finetune_pairs="results/dataset/finetune_pairs.csv",
    output:
        "results/metrics.json",
    log:
        "logs/evaluate.log",
    benchmark:
        "results/benchmarks/evaluate.tsv"
    conda:
        "../../envs/model.yaml"
    script:
        "../scripts/evaluate.py"
