"""The configuration's schema and what is read from it: every default is written once, in the schema.

The schema (``config.schema.yaml``, JSON Schema in YAML) validates the workflow's config and fills
its defaults; the ``sar2ndvi`` command takes its own defaults from it too.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

import yaml

SCHEMA_PATH = Path(__file__).with_name("config.schema.yaml")


@cache
def schema() -> dict[str, Any]:
    """The configuration's JSON Schema."""
    return yaml.safe_load(SCHEMA_PATH.read_text())


def defaults(section: str) -> dict[str, Any]:
    """The default of every key of a config ``section`` that has one."""
    properties = schema()["properties"][section]["properties"]
    return {key: spec["default"] for key, spec in properties.items() if "default" in spec}


def choices(section: str, key: str) -> list[Any]:
    """The values a key allows (its ``enum``)."""
    return list(schema()["properties"][section]["properties"][key]["enum"])


def canonical(value: Any) -> Any:
    """``value`` with the keys of every mapping in it sorted (lists keep their order).

    Snakemake compares a job's params with those of the run that made its output, and a mapping
    compares in the order of its keys: the same config written with its keys in another order would
    otherwise rerun every job whose params hold part of it.
    """
    if isinstance(value, Mapping):
        return {key: canonical(value[key]) for key in sorted(value)}
    if isinstance(value, (list, tuple)):
        return [canonical(item) for item in value]
    return value


def sigma0_settings(sentinel1: Mapping[str, Any]) -> dict[str, Any]:
    """The ``sentinel1`` settings that a σ0 raster depends on; a setting that has no effect is left out.

    So that changing, say, the speckle window without a speckle filter reruns nothing.
    """
    keys = ["polarisations", "noise_removal", "negative", "oversample", "radiometry", "speckle_filter"]
    if sentinel1["negative"] == "clip":
        keys.append("negative_floor")
    if sentinel1["speckle_filter"] != "none":
        keys.append("speckle_window")
    if sentinel1["radiometry"] == "gamma0_flat":
        keys.append("min_illuminated_area")
    if sentinel1["layers"]:
        keys.append("layers")
    keys.append("border_noise")
    if sentinel1["border_noise"] != "never":
        keys += ["border_noise_limit", "border_noise_threshold"]
    return {key: sentinel1[key] for key in keys}
