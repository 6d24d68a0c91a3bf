import json
import logging
import os

import pandas as pd
from snakemake.logging import logger

from sar2ndvi.regression import adopt_calibration
from sar2ndvi.runstate import JobJournal, claim_directory, claim_holder, clear_stale_locks
from sar2ndvi.sensors import SENSORS
from sar2ndvi.settings import canonical
from sar2ndvi.settings import sigma0_settings as sigma0_settings_of
from sar2ndvi.sources.orbits import local_orbit_name
from sar2ndvi.sources.sentinel1 import keep_relative_orbits
from sar2ndvi.variants import ABLATION_TABLE, VARIANT_PATTERN, ModelVariant

AREAS = list(config["areas"])
STUDY_AREA = "pretrain"
DEMO_STORE = config["demo"]["store"]
COPERNICUS_DEM = "results/dem/copernicus_glo30.tif"
STAGE_AREA = {"pretrain": "pretrain", "finetune": "train", "validation": "validation", "test": "test"}

# The reference sensor's NDVI is what the model learns in fine-tuning and is scored against; the
# pre-training sensor's, mapped onto the reference's scale by the regression, is what it pre-trains on.
REFERENCE_SENSOR = config["sensors"]["reference"]
PRETRAINING_SENSOR = config["sensors"]["pretraining"]
if REFERENCE_SENSOR == PRETRAINING_SENSOR:
    raise WorkflowError(
        f"sensors.reference and sensors.pretraining are both {REFERENCE_SENSOR!r}; pre-training needs a second "
        f"sensor, mapped onto the reference's scale (one of {', '.join(s for s in SENSORS if s != REFERENCE_SENSOR)})"
    )
if config["model"]["checkpoint"] and not os.path.isfile(config["model"]["checkpoint"]):
    raise WorkflowError(
        f"model.checkpoint: {config['model']['checkpoint']} is not a file; give the path of a trained model, "
        "e.g. results/models/<variant>/finetune.pt of a finished run (relative to this working directory)"
    )
OPTICAL_SENSORS = [PRETRAINING_SENSOR, REFERENCE_SENSOR]  # searched in this order, after Sentinel-1
STAGE_TARGET = {stage: REFERENCE_SENSOR for stage in STAGE_AREA} | {"pretrain": PRETRAINING_SENSOR}

GRID = "results/grid/{area}.json"
STUDY_GRID = GRID.format(area=STUDY_AREA)
HEIGHTS = "results/dem/heights.tif"
S1_SCENES = "results/s1/scenes.csv"
S1_SKIPPED = "results/s1/skipped.csv"  # products the search found and left out, and why
OPTICAL_SCENES = "results/{sensor}/scenes.csv"
CLEAR_FRACTIONS = "results/{sensor}/clear_fractions.csv"
OPTICAL_EXPORTS = "results/{sensor}/exports"  # where Earth Engine images are fetched to
PRETRAIN_DATASET_RECORD = "results/dataset/pretrain.json"

# Training, prediction and scoring ask the cluster for a GPU only when the model is told to use one:
# `auto` runs on a GPU where the node has one, and never makes a CPU-only cluster refuse the job.
GPUS = 1 if str(config["model"]["device"]).startswith("cuda") else 0


wildcard_constraints:
    area="|".join(AREAS),
    scene=r"S1[ABCD]_IW_GRD[HM]_1S[DS][VH]_\w+",
    date=r"\d{8}",
    sensor="|".join(OPTICAL_SENSORS),
    export=r"[A-Za-z0-9_]+",
    stage="|".join(STAGE_AREA),


# What an earlier run left behind, seen by the run that the user started (not by its jobs). While
# this run holds the directory's claim no other run is alive in it: Snakemake's locks are stale
# (a killed run), and the outputs of jobs that failed or were killed are rebuilt, with everything
# that uses them, rather than forgotten under products of the earlier inputs.
def rebuild_unfinished(outputs):
    if not outputs:
        return
    shown = ", ".join(outputs[:5]) + (f" and {len(outputs) - 5} more" if len(outputs) > 5 else "")
    logger.warning(
        f"Rebuilding {len(outputs)} file(s) whose jobs failed or were interrupted in an earlier run, with "
        f"everything made from them: {shown}. (To give up on them, delete {JOURNAL.path}.)"
    )
    workflow.dag_settings.forcerun = frozenset(workflow.dag_settings.forcerun) | frozenset(outputs)


if workflow.is_main_process and claim_directory():
    stale_locks = clear_stale_locks()
    if stale_locks:
        logger.warning(f"Removed {len(stale_locks)} lock file(s) of an earlier run that is no longer alive.")
    JOURNAL = JobJournal(
        dry_run=lambda: workflow.dryrun,
        on_start=rebuild_unfinished,
        on_partial_files=lambda removed: logger.warning(
            f"Removed {len(removed)} half-written file(s) of jobs cut off in an earlier run: "
            + ", ".join(str(path) for path in removed[:5])
        ),
    )
    logging.getLogger("snakemake.logging").addHandler(JOURNAL)
elif workflow.is_main_process:
    logger.warning(
        f"Another run is working in this directory ({claim_holder() or 'holder unknown'}): wait for it to end, "
        "or run in another directory. Its locks are alive: do not remove them with --unlock."
    )


def run_summary():
    """What the run left out on purpose, told at its end (the details are in the jobs' logs)."""
    if os.path.exists(S1_SKIPPED):
        skipped = pd.read_csv(S1_SKIPPED)
        if not skipped.empty:
            lines = "\n".join(f"  {row.scene}: {row.reason}" for row in skipped.itertuples())
            logger.warning(f"{len(skipped)} Sentinel-1 product(s) found and left out (listed in {S1_SKIPPED}):\n{lines}")
    for sensor in OPTICAL_SENSORS:
        path = CLEAR_FRACTIONS.format(sensor=sensor)
        if not os.path.exists(path):
            continue
        fractions = pd.read_csv(path, dtype={"date": str})
        areas = [STAGE_AREA[stage] for stage, target in STAGE_TARGET.items() if target == sensor]
        unseen = fractions[(fractions["clear_fraction"] == 0) & fractions["area"].isin(areas)]
        if not unseen.empty:
            lines = ", ".join(f"{row.date} ({row.area})" for row in unseen.itertuples())
            logger.warning(f"{sensor} date(s) that saw none of an area's farms, not paired there: {lines}")


def output_of(pattern, **wildcards):
    """A rule's output pattern (``rules.<rule>.output.<name>``) with its wildcards filled in."""
    return expand(pattern, **wildcards)[0]


def config_areas():
    """The areas of the method's stages, in a fixed order whatever order the config lists them in (the
    demo world is drawn area by area). Further areas, only predicted, leave the demo world as it is."""
    return {name: canonical(config["areas"][name]) for name in STAGE_AREA.values()}


def study_box():
    """(west, south, east, north) of the study (pre-training) area, degrees."""
    box = config["areas"][STUDY_AREA]
    return (box["west"], box["south"], box["east"], box["north"])


S1_PRODUCT = "results/s1/products/{scene}.SAFE"


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


def sigma0_settings():
    """The sentinel1 settings a σ0 raster depends on (the orbit is an input file, sigma0_orbit, so a
    moved folder of identical files reruns nothing)."""
    return sigma0_settings_of(config["sentinel1"])


def sigma0_orbit(wildcards):
    """The scene's orbit file for the σ0 step; none when it uses the annotation's orbit (sources.orbits)."""
    if config["sources"]["orbits"] == "annotation":
        return []
    return output_of(rules.s1_orbit.output[0], scene=wildcards.scene)


def orbit_origin(wildcards):
    """What a scene's orbit file depends on: its source and, from a folder, the name of the file chosen.

    The folder itself is read from the config by the job: moving it reruns nothing, while a better
    file put in it (a POEORB for a RESORB) is copied again. None: no file of the folder covers the
    scene (the job says so).
    """
    source = config["sources"]["orbits"]
    if source != "local":
        return {"source": source}
    folder = config["sentinel1"]["orbit_files"]
    if not folder:
        raise WorkflowError("sources.orbits is 'local' but sentinel1.orbit_files (a folder of .EOF files) is not set")
    return {"source": source, "file": local_orbit_name(wildcards.scene, folder)}


# Tables written by checkpoints -----------------------------------------------------------------
#
# Every rule that reads a checkpoint's table declares it as an ancient() input, so that a job run
# alone (a cluster node, a single file asked for as a target) finds it, and so that a new search
# makes out of date only the jobs whose own inputs or params it changes: Snakemake re-evaluates
# the readers once the checkpoint has run. The table is read straight from disk while it exists;
# asking the checkpoint (.get()) while it is due to run again would make Snakemake treat every
# reader, and all that follows, as out of date before the new table is even known.


def checkpoint_file(producer, path, **wildcards):
    """``path``, a checkpoint's output, once it exists (until then Snakemake runs the checkpoint first)."""
    if not os.path.exists(path):
        producer.get(**wildcards)
    return path


_DERIVED = {}


def derived(path, make):
    """``make(path)``, computed once per version of the file (its size and modification time).

    Planning a study of a thousand scenes asks the same tables thousands of times (a record per
    scene, the files of each date); reading them once per version keeps the plan in seconds, and
    a table rewritten by a checkpoint is read again. Callers must not change what they get.
    """
    stat = os.stat(path)
    key = (path, make.__name__, stat.st_mtime_ns, stat.st_size)
    if key not in _DERIVED:
        _DERIVED[key] = make(path)
    return _DERIVED[key]


def s1_scene_table():
    """The scenes of the last Sentinel-1 search on the configured relative orbits, sorted by time."""
    return derived(checkpoint_file(checkpoints.s1_search, S1_SCENES), _scenes_on_the_orbits)


def _scenes_on_the_orbits(path):
    table = pd.read_csv(path)
    orbits = config["sentinel1"]["relative_orbits"]
    kept = keep_relative_orbits(table, orbits)
    if kept.empty and not table.empty:
        raise WorkflowError(
            f"no scene of the Sentinel-1 search ({S1_SCENES}) is on sentinel1.relative_orbits {orbits}; "
            f"it lists relative orbits {sorted(set(table['relative_orbit']))}"
        )
    return kept


def s1_scenes():
    return list(s1_scene_table()["scene"])


def s1_record(wildcards):
    """What identifies the scene's product: where it is, its size and MD5 (None when not listed).

    A scene that the last search does not list gets None rather than an error here: Snakemake
    re-evaluates earlier download jobs after a new search, and only a job that actually runs
    for an unlisted scene must fail (it says so).
    """
    return derived(checkpoint_file(checkpoints.s1_search, S1_SCENES), _records).get(wildcards.scene)


def _records(path):
    return {
        row.scene: {
            "scene": row.scene,
            "url": row.url,
            "bytes": None if pd.isna(row.bytes) else int(row.bytes),
            "md5": None if pd.isna(row.md5) else str(row.md5),
        }
        for row in derived(path, _scenes_on_the_orbits).itertuples()
    }


def search_predecessor(wildcards):
    """The table of the search that runs before this sensor's: Sentinel-1's, then each sensor's in turn."""
    k = OPTICAL_SENSORS.index(wildcards.sensor)
    return ancient(S1_SCENES if k == 0 else OPTICAL_SCENES.format(sensor=OPTICAL_SENSORS[k - 1]))


def earthengine_search(wildcards):
    """What an Earth Engine search depends on beyond the period (None for a folder's listing)."""
    sensor = wildcards.sensor
    if config["sources"][sensor] != "earthengine":
        return None
    return {
        "study_box": study_box(),
        "export_folder": OPTICAL_EXPORTS.format(sensor=sensor),
        "max_scene_cloud_percent": config[sensor]["max_scene_cloud_percent"],
    }


def ndvi_settings(sensor):
    """The sensor's settings that its NDVI depends on (sar2ndvi.sensors.OpticalSensor.ndvi_settings)."""
    return {key: config[sensor][key] for key in sorted(SENSORS[sensor].ndvi_settings)}


def optical_table_file(sensor):
    return checkpoint_file(checkpoints.optical_search, OPTICAL_SCENES.format(sensor=sensor), sensor=sensor)


def optical_table(sensor):
    return derived(optical_table_file(sensor), _optical_rows)


def _optical_rows(path):
    return pd.read_csv(path, dtype={"date": str}, keep_default_na=False)


def _files_by_date(path):
    rows = derived(path, _optical_rows)
    return {
        column: {date: [p for p in group if p] for date, group in rows.groupby("date")[column]}
        for column in ("path", "mask_path")
    }


def optical_dates(sensor):
    return sorted(set(optical_table(sensor)["date"]))


def ndvi_path(sensor, date):
    return output_of(rules.optical_ndvi.output[0], sensor=sensor, date=date)


def optical_scene_files(column):
    """The files of a sensor's scenes of a date (their images, or their masks), from its search table."""

    def files(wildcards):
        return derived(optical_table_file(wildcards.sensor), _files_by_date)[column].get(wildcards.date, [])

    return files


def regression_ndvi(sensor):
    return lambda wildcards: [ndvi_path(sensor, d) for d in optical_dates(sensor)]


def clear_dates(sensor, area):
    """The sensor's NDVI dates that saw at least one of the area's farm pixels clear."""
    path = checkpoint_file(checkpoints.optical_clear_fractions, CLEAR_FRACTIONS.format(sensor=sensor), sensor=sensor)
    seen = derived(path, _clear_dates_by_area).get(area, set())
    return sorted(seen & set(optical_dates(sensor)))


def _clear_dates_by_area(path):
    table = pd.read_csv(path, dtype={"date": str})
    clear = table[table["clear_fraction"] > 0]
    return {area: set(group) for area, group in clear.groupby("area")["date"]}


_PAIRS = {}


def stage_pairs(stage):
    """S1 scenes of the study period paired with the nearest of the stage's NDVI dates that saw its farms."""
    from sar2ndvi.pairing import pair_scenes

    scenes, dates = s1_scene_table(), clear_dates(STAGE_TARGET[stage], STAGE_AREA[stage])
    key = (stage, id(scenes), tuple(dates))
    if key not in _PAIRS:
        _PAIRS[key] = pair_scenes(scenes, dates, config["pairing"]["max_days"])
    return _PAIRS[key]


def stage_tables(wildcards):
    """The tables a stage's pairs come from (read in its params, so declared as inputs)."""
    sensor = STAGE_TARGET[wildcards.stage]
    return [
        ancient(S1_SCENES),
        ancient(OPTICAL_SCENES.format(sensor=sensor)),
        ancient(CLEAR_FRACTIONS.format(sensor=sensor)),
    ]


def dataset_indexes(wildcards):
    return [output_of(rules.sar_indexes.output[0], scene=s) for s in stage_pairs(wildcards.stage)["scene"]]


def dataset_targets(wildcards):
    # unique files: several scenes can pair with one NDVI date
    target = STAGE_TARGET[wildcards.stage]
    return sorted({ndvi_path(target, d) for d in stage_pairs(wildcards.stage)["ndvi_date"]})


def pretrain_only(*paths):
    """The paths for the pre-training stage, nothing for the others."""
    return lambda wildcards: list(paths) if wildcards.stage == "pretrain" else []


def pretraining_calibration(wildcards):
    """Slope and intercept that map the pre-training stage's S2 NDVI onto Planet's scale (None elsewhere).

    The calibration the pre-training data were built with is kept while a refit of the regression
    moves no target by more than regression.refit_tolerance: a new Planet date refines the fit
    by a few thousandths of NDVI, which does not warrant pre-training again.
    """
    if wildcards.stage != "pretrain":
        return None
    fit = output_of(rules.optical_regression.output.fit)
    with open(checkpoint_file(checkpoints.optical_regression, fit)) as handle:
        fresh = json.load(handle)
    in_use = None
    if os.path.exists(PRETRAIN_DATASET_RECORD):
        with open(PRETRAIN_DATASET_RECORD) as handle:
            in_use = json.load(handle).get("calibration")
    return adopt_calibration(fresh, in_use, config["regression"]["refit_tolerance"])


def prediction_models(wildcards):
    """The model that predicts: a checkpoint of another run (model.checkpoint), else this run's fine-tuned model."""
    if config["model"]["checkpoint"]:
        return [config["model"]["checkpoint"]]
    return [output_of(rules.train.output.model, variant=MAIN_VARIANT, stage="finetune")]


def predict_indexes(wildcards):
    return [output_of(rules.sar_indexes.output[0], scene=s) for s in s1_scenes()]


def predicted_scenes(wildcards):
    """The acquisitions a prediction covers, in time order: scene names and start times."""
    return s1_scene_table()[["scene", "start"]].to_dict("list")


# Models, ablation and baselines ------------------------------------------------------------

MAIN = ModelVariant.from_config(config["model"])
MAIN_VARIANT = MAIN.name
ENSEMBLE_VARIANTS = [MAIN.with_(seed=int(seed)).name for seed in config["ensemble"]["seeds"]]

# The model settings a trained model depends on, beyond what its variant name already says; the
# platform settings (model.threads, model.device) and inference settings are not among them.
ARCHITECTURE_SETTINGS = ("depth", "base_filters", "norm", "crop_size", "batch_size", "lambda_l1", "learning_rate")
STAGE_SCHEDULE = {
    "pretrain": ("pretrain_epochs", "pretrain_steps_per_epoch"),
    "finetune": ("finetune_epochs", "finetune_steps_per_epoch", "early_stopping_patience"),
    "scratch": ("finetune_epochs", "finetune_steps_per_epoch", "early_stopping_patience"),
}


def training_settings(wildcards):
    return {key: config["model"][key] for key in (*ARCHITECTURE_SETTINGS, *STAGE_SCHEDULE[wildcards.stage])}


def training_data(wildcards):
    return output_of(rules.dataset.output.data, stage="pretrain" if wildcards.stage == "pretrain" else "finetune")


def validation_data(wildcards):
    # Pre-training runs a fixed schedule; the validation area's Planet dates are fine-tuning's business.
    return [] if wildcards.stage == "pretrain" else [output_of(rules.dataset.output.data, stage="validation")]


def pretrained_model(wildcards):
    if wildcards.stage != "finetune":
        return []
    return [output_of(rules.train.output.model, variant=wildcards.variant, stage="pretrain")]


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


# Fusion ------------------------------------------------------------------------------------


def clear_ndvi(sensor, area):
    """The sensor's NDVI files of the dates that saw the area's farms."""
    return lambda wildcards: [ndvi_path(sensor, d) for d in clear_dates(sensor, area.format(**wildcards))]


def area_series(area):
    """Beside the clear dates' NDVI (clear_ndvi, known once the searches ran), the inputs from which the
    fusion steps read an area's series (sar2ndvi.steps.fusion.read_area_series): its prediction, the
    regression, its farm mask and grids, and the tables the clear dates are read from. Kept apart from
    the clear dates so that the prediction is planned before the searches end. ``area``: a name, or
    "{area}" for the wildcard."""

    def inputs(wildcards):
        name = area.format(**wildcards)
        return {
            "tables": fusion_tables(wildcards),
            "prediction": output_of(rules.predict.output[0], area=name),
            "regression": ancient(output_of(rules.optical_regression.output.fit)),
            "mask": output_of(rules.farm_mask.output[0], area=name),
            "grid": output_of(rules.area_grid.output[0], area=name),
            "study_grid": STUDY_GRID,
        }

    return inputs


def fusion_ensemble(wildcards):
    # the ensemble's spread enters the per-field table only when asked for: it trains a model per seed
    if not config["fusion"]["ensemble_spread"]:
        return []
    return rules.predict_ensemble.output[0].format(area=wildcards.area)


def fusion_tables(wildcards):
    # the clear dates are read from the search and clear-fraction tables (declared, as for the datasets)
    return [ancient(OPTICAL_SCENES.format(sensor=s)) for s in OPTICAL_SENSORS] + [
        ancient(CLEAR_FRACTIONS.format(sensor=s)) for s in OPTICAL_SENSORS
    ]
