import pandas as pd

AREAS = list(config["areas"])
STUDY_AREA = "pretrain"
DEMO_STORE = config["demo"]["store"]
STAGE_AREA = {"pretrain": "pretrain", "finetune": "train", "validation": "validation", "test": "test"}
STAGE_TARGET = {"pretrain": "sentinel2", "finetune": "planet", "validation": "planet", "test": "planet"}


wildcard_constraints:
    area="|".join(AREAS),
    scene=r"S1[ABCD]_IW_GRD[HM]_1S[DS][VH]_\w+",
    date=r"\d{8}",
    stage="|".join(STAGE_AREA),


def study_box():
    """(west, south, east, north) of the study (pre-training) area, degrees."""
    box = config["areas"][STUDY_AREA]
    return (box["west"], box["south"], box["east"], box["north"])


def demo_store_flag(source):
    """The demo archive's completion file when ``source`` reads from it, else nothing."""
    return f"{DEMO_STORE}/STORE.json" if config["sources"][source] == "demo" else []


def source_folder(source, demo_subfolder):
    """Folder that the 'demo' or 'local' source of ``source`` reads."""
    if config["sources"][source] == "demo":
        return f"{DEMO_STORE}/{demo_subfolder}"
    folder = config["local"].get(source)
    if not folder:
        raise WorkflowError(f"sources.{source} is 'local' but local.{source} is not set in the config")
    return folder


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


def optical_files(name):
    def files(wildcards):
        rows = optical_table(name)
        rows = rows[rows["date"] == wildcards.date]
        return {"scenes": list(rows["path"]), "masks": [m for m in rows["mask_path"] if m]}

    return files


def regression_inputs(wildcards):
    s2 = optical_dates("sentinel2")
    planet = optical_dates("planet")
    return {
        "s2": [ndvi_path("sentinel2", d) for d in s2],
        "planet": [ndvi_path("planet", d) for d in planet],
    }


def stage_pairs(stage):
    """S1 scenes of the study period paired with the stage's NDVI dates."""
    from sar2ndvi.pairing import pair_scenes

    target = STAGE_TARGET[stage]
    return pair_scenes(s1_scene_table(), optical_dates(target), config["pairing"]["max_days"])


def dataset_inputs(wildcards):
    stage = wildcards.stage
    pairs = stage_pairs(stage)
    area = STAGE_AREA[stage]
    inputs = {
        "indexes": [f"results/s1/indexes/{s}.tif" for s in pairs["scene"]],
        "targets": [ndvi_path(STAGE_TARGET[stage], d) for d in pairs["ndvi_date"]],
        "mask": f"results/farms/{STUDY_AREA}_mask.tif",
        "study_grid": f"results/grid/{STUDY_AREA}.json",
        "grid": f"results/grid/{area}.json",
    }
    if stage == "pretrain":
        inputs["regression"] = "results/regression/s2_to_planet.json"
        inputs["excluded_grids"] = ["results/grid/validation.json", "results/grid/test.json"]
    return inputs


def predict_inputs(wildcards):
    return {
        "model": "results/models/finetune.pt",
        "indexes": [f"results/s1/indexes/{s}.tif" for s in s1_scenes()],
        "mask": f"results/farms/{wildcards.area}_mask.tif",
        "grid": f"results/grid/{wildcards.area}.json",
        "study_grid": f"results/grid/{STUDY_AREA}.json",
    }
