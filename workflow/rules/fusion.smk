# The gap-free series: the radar predictions and the clear optical dates of an area fused by a weighted
# Whittaker smoother (sar2ndvi.fusion). Each kind's error, the smoothness and the intervals are
# measured on the validation area; the method is judged on the test area, each Planet date hidden.


rule fusion_calibration:
    input:
        unpack(area_series("validation")),
        reference=clear_ndvi(REFERENCE_SENSOR, "validation"),
        pretraining=clear_ndvi(PRETRAINING_SENSOR, "validation"),
    output:
        "results/fusion/calibration.json",
    params:
        # the ensemble's spread is written beside the fused series, not used to calibrate it
        settings={k: v for k, v in canonical(config["fusion"]).items() if k != "ensemble_spread"},
        max_days=config["pairing"]["max_days"],
        start=config["study"]["start"],
        end=config["study"]["end"],
    log:
        "logs/fusion_calibration.log",
    benchmark:
        "results/benchmarks/fusion_calibration.tsv"
    conda:
        "../../envs/geo.yaml"
    script:
        "../scripts/fusion_calibration.py"


rule fused_area:
    input:
        unpack(area_series("{area}")),
        reference=clear_ndvi(REFERENCE_SENSOR, "{area}"),
        pretraining=clear_ndvi(PRETRAINING_SENSOR, "{area}"),
        calibration=rules.fusion_calibration.output[0],
        parcels=rules.farm_parcels.output[0],
        ensemble=fusion_ensemble,
    output:
        fused="results/ndvi_{area}_fused.tif",
        std="results/ndvi_{area}_fused_std.tif",
        fields="results/fields_{area}.parquet",
        fields_csv="results/fields_{area}.csv",
    params:
        sensors={"reference": REFERENCE_SENSOR, "pretraining": PRETRAINING_SENSOR},
        start=config["study"]["start"],
        end=config["study"]["end"],
    resources:
        mem_mb=4000,
    log:
        "logs/fused_area/{area}.log",
    benchmark:
        "results/benchmarks/fused_area/{area}.tsv"
    conda:
        "../../envs/geo.yaml"
    script:
        "../scripts/fused_area.py"


rule fusion_evaluation:
    input:
        unpack(area_series("test")),
        reference=clear_ndvi(REFERENCE_SENSOR, "test"),
        pretraining=clear_ndvi(PRETRAINING_SENSOR, "test"),
        calibration=rules.fusion_calibration.output[0],
        indexes=predict_indexes,
        train=output_of(rules.dataset.output.data, stage="finetune"),
        train_mask=output_of(rules.farm_mask.output[0], area="train"),
    output:
        table="results/fusion.csv",
        coverage="results/fusion_coverage.csv",
    params:
        forest=canonical(config["baselines"]["random_forest"]),
        max_days=config["pairing"]["max_days"],
        gap_days=config["fusion"]["gap_days"],
        start=config["study"]["start"],
        end=config["study"]["end"],
    threads: 2
    log:
        "logs/fusion_evaluation.log",
    benchmark:
        "results/benchmarks/fusion_evaluation.tsv"
    conda:
        "../../envs/model.yaml"
    script:
        "../scripts/fusion_evaluation.py"


rule fusion_figures:
    input:
        fields="results/fields_test.parquet",
        coverage=rules.fusion_evaluation.output.coverage,
        table=rules.fusion_evaluation.output.table,
    output:
        curves=report(
            "results/report/field_curves.png", category="Fusion", caption="../report/field_curves.rst"
        ),
        calibration=report(
            "results/report/interval_calibration.png", category="Fusion", caption="../report/calibration.rst"
        ),
        table=report("results/report/fusion.html", category="Fusion", caption="../report/fusion.rst"),
    params:
        sensors={"reference": REFERENCE_SENSOR, "pretraining": PRETRAINING_SENSOR},
        parcels=4,
    log:
        "logs/fusion_figures.log",
    benchmark:
        "results/benchmarks/fusion_figures.tsv"
    conda:
        "../../envs/geo.yaml"
    script:
        "../scripts/fusion_figures.py"


# The farm user's products of the test area and the method's evaluation: snakemake --cores 8 fusion
rule fusion:
    input:
        "results/fields_test.parquet",
        "results/ndvi_test_fused.tif",
        rules.fusion_evaluation.output.table,
        "results/report/field_curves.png",
