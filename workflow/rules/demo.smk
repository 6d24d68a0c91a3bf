rule demo_store:
    output:
        f"{DEMO_STORE}/STORE.json",
    params:
        config=lambda wildcards: {
            "study": canonical(config["study"]),
            "areas": config_areas(),
            "demo": canonical(config["demo"]),
        },
    # the world's parts are drawn in parallel processes; the files do not depend on their number
    threads: 2
    log:
        "logs/demo_store.log",
    benchmark:
        "results/benchmarks/demo_store.tsv"
    conda:
        "../../envs/sources.yaml"
    script:
        "../scripts/demo_store.py"
