# The search lists every track of the configured direction over the study area; the relative
# orbits to use are chosen when its table is read (common.smk), so choosing tracks never reruns it.
checkpoint s1_search:
    input:
        store=demo_store_flag("sentinel1"),
    output:
        scenes=S1_SCENES,
        skipped=S1_SKIPPED,
    params:
        source=config["sources"]["sentinel1"],
        folder=lambda wildcards: source_folder("sentinel1", "sentinel1"),
        start=config["study"]["start"],
        end=config["study"]["end"],
        flight_direction=config["sentinel1"]["flight_direction"],
        study_box=study_box(),
    log:
        "logs/s1_search.log",
    benchmark:
        "results/benchmarks/s1_search.tsv"
    conda:
        "../../envs/sentinel1.yaml"
    script:
        "../scripts/s1_search.py"


# One cluster job per scene: download, σ0 and indexes (SLURM starts each job in seconds, and a
# scene's files are only read by its own chain). Retry settings are read from the config, not
# params: changing them must not make the downloaded scenes out of date.
#
# The product is unpacked once, here, into a .SAFE folder of what σ0 reads (manifest, annotation,
# calibration and noise XML, measurement TIFFs of the configured polarisations): a TIFF deflated in
# the zip would otherwise be inflated from its start for every window read. The verified zip is
# downloaded beside the folder and removed once unpacked: the folder holds everything later steps
# read, and keeping the zip too would double the disk per scene (about 1.7 GB, 60 GB per track and
# season) to spare only a download after a change of polarisations. The demo and local sources
# unpack straight from their own zips.
rule s1_download:
    input:
        scenes=ancient(S1_SCENES),
    output:
        directory(S1_PRODUCT),
    params:
        record=s1_record,
        polarisations=[pol for pol in ("VV", "VH", "HH", "HV") if pol in config["sentinel1"]["polarisations"]],
    group:
        "s1_scene"
    resources:
        downloads=1,
        mem_mb=1000,
        runtime=60,
    log:
        "logs/s1_download/{scene}.log",
    benchmark:
        "results/benchmarks/s1_download/{scene}.tsv"
    conda:
        "../../envs/sentinel1.yaml"
    script:
        "../scripts/s1_download.py"


# The orbit file of a scene (sources.orbits: local or asf; with 'annotation' σ0 uses the product's
# own orbit and this rule is not used). The folder and the retry settings are read from the config.
rule s1_orbit:
    output:
        "results/s1/orbits/{scene}.EOF",
    params:
        origin=orbit_origin,
    group:
        "s1_scene"
    resources:
        downloads=1,
        mem_mb=500,
        runtime=20,
    log:
        "logs/s1_orbit/{scene}.log",
    benchmark:
        "results/benchmarks/s1_orbit/{scene}.tsv"
    conda:
        "../../envs/sentinel1.yaml"
    script:
        "../scripts/s1_orbit.py"


rule s1_sigma0:
    input:
        product=S1_PRODUCT,
        dem=HEIGHTS,
        grid=STUDY_GRID,
        orbit=sigma0_orbit,
    output:
        "results/s1/sigma0/{scene}.tif",
    params:
        settings=sigma0_settings(),
    group:
        "s1_scene"
    resources:
        mem_mb=2000,
        runtime=30,
    log:
        "logs/s1_sigma0/{scene}.log",
    benchmark:
        "results/benchmarks/s1_sigma0/{scene}.tsv"
    conda:
        "../../envs/sentinel1.yaml"
    script:
        "../scripts/s1_sigma0.py"


rule sar_indexes:
    input:
        sigma0="results/s1/sigma0/{scene}.tif",
        grid=STUDY_GRID,
    output:
        "results/s1/indexes/{scene}.tif",
    group:
        "s1_scene"
    resources:
        mem_mb=1000,
        runtime=10,
    log:
        "logs/sar_indexes/{scene}.log",
    benchmark:
        "results/benchmarks/sar_indexes/{scene}.tsv"
    conda:
        "../../envs/geo.yaml"
    script:
        "../scripts/sar_indexes.py"
