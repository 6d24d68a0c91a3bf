# Figures and tables of `snakemake --report report.html` (run `snakemake --cores 8 report_figures` first).


rule report_figures:
    input:
        grid="results/grid/test.json",
        test="results/dataset/test.npz",
        test_pairs="results/dataset/test_pairs.csv",
        prediction="results/ndvi_test.tif",
        ensemble="results/ndvi_test_ensemble.tif",
        parcels="results/farms/test_mask.tif",
        pretrain=f"results/models/{MAIN_VARIANT}/pretrain_history.csv",
        finetune=f"results/models/{MAIN_VARIANT}/finetune_history.csv",
        regression="results/regression/s2_to_planet.json",
        regression_samples="results/regression/s2_to_planet_samples.csv",
        ablation="results/ablation.csv",
        baselines="results/baselines.csv",
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
    log:
        "logs/report_figures.log",
    benchmark:
        "results/benchmarks/report_figures.tsv"
    conda:
        "../../envs/geo.yaml"
    script:
        "../scripts/report_figures.py"
