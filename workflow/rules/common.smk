import pandas as pd

from sar2ndvi.variants import ABLATION_TABLE, VARIANT_PATTERN, ModelVariant

AREAS = list(config["areas"])
STUDY_AREA = "pretrain"
DEMO_STORE = config["demo"]["store"]
S2_EXPORTS = "results/s2/exports"
COPERNICUS_DEM = "results/dem/copernicus_glo30.tif"
STAGE_AREA = {"pretrain": "pretrain", "finetune": "train", "validation": "validation", "test": "test"}
STAGE_TARGET = {"pretrain": "sentinel2", "finetune": "planet", "validation": "planet", "test": "planet"}


wildcard_constraints:
    area="|".join(AREAS),
    scene=r"S1[ABCD]_IW_GRD[HM]_1S[DS][VH]_\w+",
    date=r"\d{8}",
    s2_scene=r"\d{8}T\d{6}_\d{8}T\d{6}_T\w{5}",
    stage="|".join(STAGE_AREA),


def study_box():
    """(west, south, east, north) of the study (pre-training) area, degrees."""
    box = config["areas"][STUDY_AREA]
    return (box["west"], box["south"], box["east"], box["north"])


def demo_store_flag(source):
    """The demo archive's completion file when ``source`` reads from it, else nothing."""
    return f"{DEMO_STORE}/STORE.json" if config["sources"][source] == "demo" else []


def source_folder(source, demo_subfolder):
    """Folder that the 'demo' or 'local' source of ``source`` reads (nothing for a live source)."""
    if config["sources"][source] not in ("demo", "local"):
        return ""
    if config["sources"][source] == "demo":
        return f"{DEMO_STORE}/{demo_subfolder}"
    folder = config["local"].get(source)
    if not folder:
        raise WorkflowError(f"sources.{source} is 'local' but local.{source} is not set in the config")
    return folder


def dem_source():
    """The DEM file of orthometric heights that the 'dem' rule puts on the study grid."""
    source = config["sources"]["dem"]
    if source == "demo":
        return f"{DEMO_STORE}/dem/dem.tif"
    if source == "copernicus":
        return COPERNICUS_DEM
    return config.get("local", {}).get("dem")


def s1_scene_table():
    """The scenes listed by the Sentinel-1 search (evaluated after the checkpoint)."""
    return pd.read_csv(checkpoints.s1_search.get().output.scenes)


def s1_scenes():
    return list(s1_scene_table()["scene"])


def s1_record(wildcards):
    table = s1_scene_table().set_index("scene")
    if wildcards.scene not in table.index:
        raise WorkflowError(f"scene {wildcards.scene} is not in the Sentinel-1 search results")
    record = table.loc[wildcards.scene].to_dict()
    record["scene"] = wildcards.scene
    return {k: (None if pd.isna(v) else v) for k, v in record.items()}


def optical_table(name):
    search = {"sentinel2": checkpoints.s2_search, "planet": checkpoints.planet_search}[name]
    return pd.read_csv(search.get().output.scenes, dtype={"date": str}, keep_default_na=False)


def optical_dates(name):
    return sorted(set(optical_table(name)["date"]))


def ndvi_path(name, date):
    folder = {"sentinel2": "results/s2/ndvi", "planet": "results/planet/ndvi"}[name]
    return f"{folder}/{date}.tif"


def optical_scenes(name, column):
    def files(wildcards):
        rows = optical_table(name)
        return [p for p in rows.loc[rows["date"] == wildcards.date, column] if p]

    return files


def regression_ndvi(name):
    return lambda wildcards: [ndvi_path(name, d) for d in optical_dates(name)]


def stage_pairs(stage):
    """S1 scenes of the study period paired with the stage's NDVI dates."""
    from sar2ndvi.pairing import pair_scenes

    target = STAGE_TARGET[stage]
    return pair_scenes(s1_scene_table(), optical_dates(target), config["pairing"]["max_days"])


def dataset_indexes(wildcards):
    return [f"results/s1/indexes/{s}.tif" for s in stage_pairs(wildcards.stage)["scene"]]


def dataset_targets(wildcards):
    # unique files: several scenes can pair with one NDVI date
    target = STAGE_TARGET[wildcards.stage]
    return sorted({ndvi_path(target, d) for d in stage_pairs(wildcards.stage)["ndvi_date"]})


def pretrain_only(*paths):
    """The paths for the pre-training stage, nothing for the others."""
    return lambda wildcards: list(paths) if wildcards.stage == "pretrain" else []


def predict_indexes(wildcards):
    return [f"results/s1/indexes/{s}.tif" for s in s1_scenes()]


# Models, ablation and baselines ------------------------------------------------------------

MAIN = ModelVariant.from_config(config["model"])
MAIN_VARIANT = MAIN.name
ENSEMBLE_VARIANTS = [MAIN.with_(seed=int(seed)).name for seed in config["ensemble"]["seeds"]]


def training_data(wildcards):
    return "results/dataset/pretrain.npz" if wildcards.stage == "pretrain" else "results/dataset/finetune.npz"


def pretrained_model(wildcards):
    return [f"results/models/{wildcards.variant}/pretrain.pt"] if wildcards.stage == "finetune" else []


def ablation_rows():
    rows = []
    for k, row in enumerate(ABLATION_TABLE):
        variant, stage = row.model(MAIN)
        rows.append(
            {
                "key": f"row{k}",
                "method": row.method,
                "pre_training": row.pre_training,
                "fine_tuning": row.fine_tuning,
                "sar_indexes": row.sar_indexes,
                "training_aug": row.training_aug,
                "test_time_aug": row.test_time_aug,
                "paper_mse": row.paper_mse,
                "score": f"results/scores/{variant.name}/{stage}_{'tta' if row.test_time_aug else 'notta'}",
            }
        )
    return rows


SEN12TP = MAIN.with_(family="sen12tp_unet", sar_indexes=config["baselines"]["sen12tp_unet"]["sar_indexes"])
BASELINE_MODELS = {
    "method": ("Pix2pix, pre-trained and fine-tuned (Kimura et al.)", MAIN_VARIANT, "finetune", "tta"),
    "sen12tp": ("SEN12TP U-Net (Roßberg & Schmitt)", SEN12TP.with_(dem=False).name, "finetune", "notta"),
    "sen12tp_dem": ("SEN12TP U-Net with DEM input", SEN12TP.with_(dem=True).name, "finetune", "notta"),
}
