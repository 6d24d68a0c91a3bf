rule evaluate:
    input:
        prediction=output_of(rules.predict.output[0], area="test"),
        test=output_of(rules.dataset.output.data, stage="test"),
        test_pairs=output_of(rules.dataset.output.pairs, stage="test"),
        finetune=output_of(rules.dataset.output.data, stage="finetune"),
        finetune_pairs=output_of(rules.dataset.output.pairs, stage="finetune"),
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
