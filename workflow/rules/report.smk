# Figures and tables of `snakemake --report report.html` (run `snakemake --cores 8 report_figures` first).


rule report_figures:
    input:
        grid=output_of(rules.area_grid.output[0], area="test"),
        test=output_of(rules.dataset.output.data, stage="test"),
        test_pairs=output_of(rules.dataset.output.pairs, stage="test"),
        prediction=output_of(rules.predict.output[0], area="test"),
        ensemble=output_of(rules.predict_ensemble.output[0], area="test"),
        parcels=output_of(rules.farm_mask.output[0], area="test"),
        pretrain=output_of(rules.train.output.history, variant=MAIN_VARIANT, stage="pretrain"),
        finetune=output_of(rules.train.output.history, variant=MAIN_VARIANT, stage="finetune"),
        regression=rules.optical_regression.output.fit,
        regression_samples=rules.optical_regression.output.samples,
        ablation=rules.ablation.output[0],
        baselines=rules.baselines.output[0],
    output:
        maps=report(
            directory("results/report/ndvi_maps"),
            patterns=["{name}.png"],
            category="NDVI maps",
            caption="../report/ndvi_maps.rst",
        ),
        curves=report("results/report/training_curves.png", category="Training", caption="../report/curves.rst"),
        scatter=report("results/report/scatter.png", category="Evaluation", caption="../report/scatter.rst"),
        timeseries=report(
            "results/report/parcel_timeseries.png", category="Evaluation", caption="../report/timeseries.rst"
        ),
        regression=report(
            "results/report/regression.png", category="Training", caption="../report/regression.rst"
        ),
        ablation=report("results/report/ablation.html", category="Tables", caption="../report/ablation.rst"),
        baselines=report("results/report/baselines.html", category="Tables", caption="../report/baselines.rst"),
    params:
        parcels=4,
        sensors=[PRETRAINING_SENSOR, REFERENCE_SENSOR],
    log:
        "logs/report_figures.log",
    benchmark:
        "results/benchmarks/report_figures.tsv"
    conda:
        "../../envs/geo.yaml"
    script:
        "../scripts/report_figures.py"
