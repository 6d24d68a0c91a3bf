"""The configuration is validated by its schema, and the conda environments match the pip pins."""

import copy
import re

import pytest
import yaml
from snakemake.utils import validate

from sar2ndvi.grid import grid_from_lonlat_box


@pytest.fixture(scope="module")
def config(repo):
    return yaml.safe_load((repo / "config" / "config.yaml").read_text())


def _validate(repo, config):
    validate(config, str(repo / "src" / "sar2ndvi" / "config.schema.yaml"))
    return config


def test_default_config_is_the_papers_tsumagoi_study(repo, config):
    checked = _validate(repo, copy.deepcopy(config))
    assert checked["study"] == {"crs": "EPSG:32654", "resolution": 10, "start": "2017-05-01", "end": "2017-11-30"}
    assert checked["areas"]["train"] == {"west": 138.499, "south": 36.524, "east": 138.506, "north": 36.530}
    assert checked["areas"]["validation"] == {"west": 138.472, "south": 36.508, "east": 138.483, "north": 36.515}
    assert checked["areas"]["test"] == {"west": 138.483, "south": 36.538, "east": 138.493, "north": 36.544}
    assert checked["sensors"] == {"reference": "planet", "pretraining": "sentinel2"}
    used = ("sentinel1", "farms", "dem", *checked["sensors"].values())
    assert {name: checked["sources"][name] for name in used} == dict.fromkeys(used, "demo")
    assert checked["sources"]["orbits"] == "annotation", "σ0 uses the product's own orbit unless told otherwise"


def test_pretraining_area_contains_the_others(config):
    outer = grid_from_lonlat_box("pretrain", **config["areas"]["pretrain"])
    for name in ("train", "validation", "test"):
        outer.window_of(grid_from_lonlat_box(name, **config["areas"][name]))


def test_schema_fills_defaults_for_a_minimal_config(repo, config):
    minimal = _validate(repo, {"areas": copy.deepcopy(config["areas"])})
    assert minimal["sentinel1"]["negative"] == "clip"
    assert minimal["model"]["family"] == "pix2pix"
    assert minimal["sources"]["sentinel1"] == "demo"


def test_further_named_areas_are_boxes_and_a_model_of_another_run_is_optional(repo, config):
    extended = copy.deepcopy(config)
    extended["areas"]["north_fields"] = {"west": 138.488, "south": 36.530, "east": 138.498, "north": 36.536}
    checked = _validate(repo, extended)
    assert checked["model"]["checkpoint"] is None and checked["fusion"]["gap_days"] == [0, 7, 15]
    for bad in ({"North Fields": extended["areas"]["north_fields"]}, {"north": {"west": 138.4}}):
        wrong = copy.deepcopy(config)
        wrong["areas"].update(bad)
        with pytest.raises(Exception, match=r"North Fields|required"):
            _validate(repo, wrong)


def test_schema_rejects_an_unknown_source(repo, config):
    bad = copy.deepcopy(config)
    bad["sources"]["sentinel1"] = "copernicus-hub"
    with pytest.raises(Exception, match="copernicus-hub"):
        _validate(repo, bad)


def test_schema_rejects_a_misspelt_key(repo, config):
    bad = copy.deepcopy(config)
    bad["model"]["epochs_pretrain"] = 3
    with pytest.raises(Exception, match="epochs_pretrain"):
        _validate(repo, bad)


def test_schema_rejects_a_value_of_the_wrong_type_naming_the_key(repo, config):
    bad = copy.deepcopy(config)
    bad["pairing"]["max_days"] = "three"
    with pytest.raises(Exception, match=r"'three' is not of type 'integer'[\s\S]*max_days"):
        _validate(repo, bad)


def test_the_two_sensors_of_the_method_must_differ(repo, tmp_path):
    import subprocess
    import sys

    (tmp_path / "same.yaml").write_text("sensors: {reference: planet, pretraining: planet}\n")
    result = subprocess.run(
        [sys.executable, "-m", "snakemake", "--snakefile", str(repo / "Snakefile"), "--directory", str(tmp_path),
         f"--configfile={tmp_path / 'same.yaml'}", "--dry-run", "--cores", "1"],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode != 0
    assert "sensors.reference and sensors.pretraining are both 'planet'" in result.stdout + result.stderr


def _pip_pins(repo):
    pins = {}
    for line in (repo / "requirements.txt").read_text().splitlines():
        match = re.match(r"^([A-Za-z0-9_.-]+)==(\S+)$", line.strip())
        if match:
            pins[match[1].lower().replace("_", "-")] = match[2]
    return pins


def test_conda_environments_pin_the_same_versions_as_requirements(repo):
    pins = _pip_pins(repo)
    conda_names = {"pyyaml": "pyyaml", "gdal": None}
    checked = 0
    for env_file in sorted((repo / "envs").glob("*.yaml")):
        env = yaml.safe_load(env_file.read_text())
        for dep in env["dependencies"]:
            entries = dep["pip"] if isinstance(dep, dict) else [dep]
            for entry in entries:
                match = re.match(r"^([A-Za-z0-9_.-]+)\s*=+\s*(\S+)$", entry)
                if not match or match[1] == "python":
                    continue
                name = conda_names.get(match[1].lower(), match[1].lower())
                if name is None:
                    continue
                assert name in pins, f"{env_file.name}: {name} is not pinned in requirements.txt"
                assert pins[name] == match[2], f"{env_file.name}: {name}={match[2]}, requirements.txt {pins[name]}"
                checked += 1
    assert checked > 30


def test_paper_config_is_the_papers_schedule_on_top_of_the_default(repo, config):
    """config/paper.yaml is given with --configfile: Snakemake merges it into config.yaml."""
    from snakemake.utils import update_config

    merged = copy.deepcopy(config)
    update_config(merged, yaml.safe_load((repo / "config" / "paper.yaml").read_text()))
    checked = _validate(repo, merged)
    assert checked["model"]["pretrain_epochs"] == 5000
    assert checked["model"]["pretrain_steps_per_epoch"] is None, "an epoch is one pass over the tiles"
    assert checked["model"]["finetune_epochs"] > checked["model"]["early_stopping_patience"] > 0
    assert checked["areas"] == config["areas"] and checked["model"]["family"] == "pix2pix"


def test_params_made_from_the_config_do_not_depend_on_the_order_of_its_keys():
    from sar2ndvi.settings import canonical

    written = {"west": 138.47, "south": 36.505, "east": 138.51, "north": 36.548, "tracks": [{"b": 1, "a": 2}]}
    reordered = {"tracks": [{"a": 2, "b": 1}], "north": 36.548, "east": 138.51, "south": 36.505, "west": 138.47}
    assert list(canonical(written)) == list(canonical(reordered)) == ["east", "north", "south", "tracks", "west"]
    assert repr(canonical(written)) == repr(canonical(reordered))
    assert canonical([3, 1, 2]) == [3, 1, 2], "lists keep their order"
