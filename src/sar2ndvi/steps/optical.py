"""Optical steps: list a sensor's scenes, fetch Sentinel-2 from Earth Engine, NDVI of a date, the cross-sensor fit."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from sar2ndvi.grid import AreaGrid
from sar2ndvi.io import atomic_path, read_raster, write_json, write_raster, write_text_if_changed
from sar2ndvi.steps.job import as_paths

log = logging.getLogger(__name__)


def search(
    kind: str,
    source: str,
    folder: str | Path,
    start: str,
    end: str,
    out: str | Path,
    earthengine: Mapping[str, Any] | None = None,
    retries: Mapping[str, Any] | None = None,
    study_box: Sequence[float] = (),
    export_folder: str = "",
    max_scene_cloud_percent: float = 100.0,
) -> None:
    """The table of ``kind`` ("sentinel2" or "planet") scenes of [start, end], sorted; rewritten only on change.

    ``source`` "earthengine" searches Earth Engine's Sentinel-2 catalogue over ``study_box`` (with
    the ``earthengine`` settings: project, service account key); the others list the files of
    ``folder``.

    Raises:
        ValueError: when a folder holds no scene of the period.
    """
    from sar2ndvi.sources.optical_folders import list_planet, list_sentinel2

    if source == "earthengine":
        from sar2ndvi.sources.earthengine import initialize, search_sentinel2

        project = initialize(earthengine["project"], earthengine["service_account_key"])
        log.info("Earth Engine project %s", project)
        table = search_sentinel2(
            tuple(study_box),
            start,
            end,
            export_folder,
            max_scene_cloud_percent,
            attempts=retries["attempts"],
            backoff_s=retries["backoff_s"],
        )
    else:
        lister = {"sentinel2": list_sentinel2, "planet": list_planet}[kind]
        table = lister(folder, start, end)
        if table.empty:
            raise ValueError(f"no {kind} scene between {start} and {end} in {folder}; check the folder and the dates")
    write_text_if_changed(out, table.to_csv(index=False))
    log.info("%s: %d scenes on %d dates", kind, len(table), table["date"].nunique())


def fetch_sentinel2(
    scene: str, grid: str | Path, out: str | Path, earthengine: Mapping[str, Any], retries: Mapping[str, Any]
) -> None:
    """One Sentinel-2 image (B4, B8, s2cloudless probability) computed on the grid of ``grid`` by Earth Engine."""
    from sar2ndvi.sources.earthengine import fetch_sentinel2 as fetch
    from sar2ndvi.sources.earthengine import initialize

    initialize(earthengine["project"], earthengine["service_account_key"])
    fetch(
        scene,
        AreaGrid.read(grid),
        out,
        tile=earthengine["tile_pixels"],
        attempts=retries["attempts"],
        backoff_s=retries["backoff_s"],
    )


def ndvi(
    kind: str,
    scenes: Sequence[str],
    masks: Sequence[str],
    grid: str | Path,
    out: str | Path,
    date: str,
    cloud_probability_max: float | None = None,
) -> None:
    """NDVI of one date on the grid, mosaicking every scene of that date (first valid pixel wins).

    ``masks`` are Planet's UDM2 files, matched to their scenes by name.
    """
    from sar2ndvi.ndvi import planet_ndvi, sentinel2_ndvi

    area = AreaGrid.read(grid)
    scenes, masks = as_paths(scenes), as_paths(masks)
    mosaic = np.full(area.shape, np.nan, dtype=np.float32)
    mask_of = {m.split("_3B_")[0]: m for m in masks}
    for scene in scenes:
        if kind == "sentinel2":
            values = sentinel2_ndvi(scene, area, cloud_probability_max)
        else:
            values = planet_ndvi(scene, area, mask_of.get(scene.split("_3B_")[0]))
        fill = np.isnan(mosaic) & np.isfinite(values)
        mosaic[fill] = values[fill]
    write_raster(
        out,
        mosaic,
        area,
        ["NDVI"],
        {"sensor": kind, "date": date, "scenes": [s.rsplit("/", 1)[-1] for s in scenes]},
    )
    log.info("%s %s: %.1f %% of the study grid observed", kind, date, 100 * np.isfinite(mosaic).mean())


def regression(
    reference: Sequence[str],
    source: Sequence[str],
    mask: str | Path,
    grid: str | Path,
    max_days: int,
    samples: int,
    fit_out: str | Path,
    samples_out: str | Path,
) -> None:
    """Fit reference NDVI (Planet) ≈ slope · source NDVI (Sentinel-2) + intercept on shared farm pixels.

    Writes the fit (JSON) and a reproducible sample of the matched pixels (CSV), for the report.
    """
    import pandas as pd

    from sar2ndvi.regression import fit_linear, pair_pixels

    area = AreaGrid.read(grid)
    farm = read_raster(mask, area)[0] > 0
    pairs = pair_pixels(as_paths(reference), as_paths(source), farm, area, max_days)
    fit = fit_linear(pairs.source, pairs.reference, n_pairs=len(pairs.date_pairs))
    write_json(fit_out, fit.to_dict())
    pick = np.random.default_rng(0).permutation(len(pairs.source))[:samples]
    with atomic_path(samples_out, suffix=".csv") as tmp:
        pd.DataFrame({"s2": pairs.source[pick], "planet": pairs.reference[pick]}).to_csv(
            tmp, index=False, float_format="%.5f"
        )
    log.info(
        "Planet ≈ %.4f · S2 + %.4f (r² %.3f, %d pixels from %d date pairs)",
        fit.slope,
        fit.intercept,
        fit.r2,
        fit.n_pixels,
        fit.n_pairs,
    )
    for pair in pairs.date_pairs:
        log.info("pair %s", pair)
