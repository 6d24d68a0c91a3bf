"""Optical steps, for any sensor of :data:`sar2ndvi.sensors.SENSORS`.

List its scenes, fetch them from Earth Engine, NDVI of a date, the fit of one sensor onto another.
"""

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
    sensor: str,
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
    """The table of the ``sensor``'s scenes of [start, end], sorted; rewritten only on change.

    ``source`` "earthengine" searches the sensor's Earth Engine product over ``study_box`` (with
    the ``earthengine`` settings: project, service account key) and lists each image under
    ``export_folder``, where the fetch step writes it; the others list the files of ``folder``.

    Raises:
        ValueError: when a folder holds no scene of the period.
    """
    from sar2ndvi.sensors import sensor as sensor_named

    if source == "earthengine":
        from sar2ndvi.sources.earthengine import PRODUCTS, initialize
        from sar2ndvi.sources.earthengine import search as search_earthengine

        project = initialize(earthengine["project"], earthengine["service_account_key"])
        log.info("Earth Engine project %s", project)
        table = search_earthengine(
            PRODUCTS[sensor],
            tuple(study_box),
            start,
            end,
            export_folder,
            max_scene_cloud_percent,
            attempts=retries["attempts"],
            backoff_s=retries["backoff_s"],
        )
    else:
        table = sensor_named(sensor).list_folder(folder, start, end)
        if table.empty:
            raise ValueError(f"no {sensor} scene between {start} and {end} in {folder}; check the folder and the dates")
    write_text_if_changed(out, table.to_csv(index=False))
    log.info("%s: %d scenes on %d dates", sensor, len(table), table["date"].nunique())


def fetch(
    sensor: str,
    scene: str,
    grid: str | Path,
    out: str | Path,
    earthengine: Mapping[str, Any],
    retries: Mapping[str, Any],
) -> None:
    """One image of the ``sensor``'s Earth Engine product, computed on the grid of ``grid`` by Earth Engine."""
    from sar2ndvi.sources.earthengine import PRODUCTS, initialize
    from sar2ndvi.sources.earthengine import fetch as fetch_earthengine

    initialize(earthengine["project"], earthengine["service_account_key"])
    fetch_earthengine(
        PRODUCTS[sensor],
        scene,
        AreaGrid.read(grid),
        out,
        tile=earthengine["tile_pixels"],
        attempts=retries["attempts"],
        backoff_s=retries["backoff_s"],
    )


def ndvi(
    sensor: str,
    table: str | Path,
    date: str,
    grid: str | Path,
    out: str | Path,
    settings: Mapping[str, Any] | None = None,
) -> None:
    """NDVI of one date on the grid, mosaicking every scene of that date in ``table`` (first valid pixel wins).

    ``table`` is the sensor's scene table (the search's output): each row names a scene file and
    its mask file, if any. ``settings`` are the sensor's NDVI settings (``OpticalSensor.ndvi_settings``).

    Raises:
        ValueError: when the table lists no scene on ``date``.
    """
    import pandas as pd

    from sar2ndvi.sensors import sensor as sensor_named

    reader = sensor_named(sensor)
    area = AreaGrid.read(grid)
    scenes = pd.read_csv(table, dtype={"date": str}, keep_default_na=False)
    scenes = scenes[scenes["date"] == date]
    if scenes.empty:
        raise ValueError(f"{table}: no {sensor} scene on {date}; search again (--forcerun optical_search)")
    mosaic = np.full(area.shape, np.nan, dtype=np.float32)
    for scene in scenes.itertuples():
        mask = Path(scene.mask_path) if scene.mask_path else None
        values = reader.read_ndvi(Path(scene.path), mask, area, settings or {})
        fill = np.isnan(mosaic) & np.isfinite(values)
        mosaic[fill] = values[fill]
    write_raster(
        out,
        mosaic,
        area,
        ["NDVI"],
        {"sensor": sensor, "date": date, "scenes": [Path(p).name for p in scenes["path"]]},
    )
    log.info("%s %s: %.1f %% of the study grid observed", sensor, date, 100 * np.isfinite(mosaic).mean())


def regression(
    reference: Sequence[str],
    source: Sequence[str],
    mask: str | Path,
    grid: str | Path,
    max_days: int,
    samples: int,
    fit_out: str | Path,
    samples_out: str | Path,
    names: Sequence[str] = ("reference", "source"),
) -> None:
    """Fit reference NDVI ≈ slope · source NDVI + intercept on farm pixels both saw within ``max_days``.

    Writes the fit (JSON) and a reproducible sample of the matched pixels (CSV, columns
    ``source`` and ``reference``), for the report. ``names`` are the two sensors' names, for the log.
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
        pd.DataFrame({"source": pairs.source[pick], "reference": pairs.reference[pick]}).to_csv(
            tmp, index=False, float_format="%.5f"
        )
    log.info(
        "%s ≈ %.4f · %s + %.4f (r² %.3f, %d pixels from %d date pairs)",
        names[0],
        fit.slope,
        names[1],
        fit.intercept,
        fit.r2,
        fit.n_pixels,
        fit.n_pairs,
    )
    for pair in pairs.date_pairs:
        log.info("pair %s", pair)


def clear_fractions(
    ndvi: Sequence[str],
    mask: str | Path,
    study_grid: str | Path,
    grids: Sequence[str],
    out: str | Path,
) -> None:
    """For every NDVI date and area, the fraction of the area's farm pixels the image saw clear (CSV).

    Pairing reads it to leave out dates that saw none of a stage's farms (a fully cloudy image)
    in favour of a clear one within the window. Columns: ``date``, ``area``, ``clear_fraction``.

    Args:
        ndvi: NDVI rasters on the study grid (their ``date`` tag names the day).
        mask: the study grid's farm mask (parcel ids, 0 off farm).
        grids: the areas' grids (JSON), windows of the study grid.
    """
    import pandas as pd
    import rasterio

    study = AreaGrid.read(study_grid)
    farm = read_raster(mask, study)[0] > 0
    windows = {}
    for path in as_paths(grids):
        area = AreaGrid.read(path)
        row, col, rows, cols = study.window_of(area)
        window = (slice(row, row + rows), slice(col, col + cols))
        # an area without farm pixels is judged on all of its pixels
        windows[area.name] = (window, farm[window] if farm[window].any() else np.ones((rows, cols), bool))
    records = []
    for path in as_paths(ndvi):
        with rasterio.open(path) as src:
            date = src.tags().get("date") or Path(path).stem
        seen = np.isfinite(read_raster(path, study)[0])
        for name, (window, where) in windows.items():
            records.append({"date": date, "area": name, "clear_fraction": round(float(seen[window][where].mean()), 4)})
    table = pd.DataFrame(records, columns=["date", "area", "clear_fraction"])
    with atomic_path(out, suffix=".csv") as tmp:
        table.to_csv(tmp, index=False)
    cloudy = table[table["clear_fraction"] == 0]
    for row in cloudy.itertuples():
        log.warning("%s: no clear farm pixel in area %s; not paired there", row.date, row.area)
