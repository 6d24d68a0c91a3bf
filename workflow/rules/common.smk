import pandas as pd

from sar2ndvi.grid import grid_from_lonlat_box

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
    checkpoint = {"sentinel2": checkpoints.s2_search, "planet": checkpoints.planet_search}[name]
    return pd.read_csv(checkpoint.get().output.scenes, dtype={"date": str}, keep_default_na=False)


def optical_dates(name):
    return sorted(set(optical_table(name)["date"]))


def ndvi_path(name, date):
    folder = {"sentinel2": "results/s2/ndvi", "planet": "results/planet/ndvi"}[name]
    return f"{folder}/{date}.tif"
