"""The report step: NDVI maps per date, training curves, scatter, parcel time series, regression, tables."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)


def report_figures(
    inputs: Mapping[str, str],
    outputs: Mapping[str, str],
    parcels_shown: int,
    sensors: tuple[str, str] = ("sentinel2", "planet"),
) -> None:
    """The report's figures and tables.

    Args:
        inputs: ``grid`` (test area), ``test`` and ``test_pairs`` (samples), ``prediction`` and
            ``ensemble`` (NDVI rasters), ``parcels`` (test-area mask), ``pretrain`` and ``finetune``
            (training histories), ``regression`` and ``regression_samples``, ``ablation`` and ``baselines``.
        outputs: ``maps`` (a folder), ``curves``, ``scatter``, ``timeseries``, ``regression``,
            ``ablation``, ``baselines``.
        parcels_shown: how many of the largest parcels the time series shows.
        sensors: the regression's source and reference sensors (``sensors.pretraining``, ``sensors.reference``).
    """
    import pandas as pd
    import rasterio

    from sar2ndvi import figures
    from sar2ndvi.grid import AreaGrid
    from sar2ndvi.io import read_raster, write_text_if_changed
    from sar2ndvi.sensors import sensor

    inp, out = inputs, outputs
    grid = AreaGrid.read(inp["grid"])
    test = np.load(inp["test"])
    with rasterio.open(inp["prediction"]) as src:
        prediction = src.read().astype(np.float32)
        band_scenes = json.loads(src.tags()["scenes"])
        times = [pd.Timestamp(d) for d in src.descriptions]
    pairs = pd.read_csv(inp["test_pairs"], dtype={"ndvi_date": str})
    bands = [band_scenes.index(pairs["scene"].iloc[k]) for k in test["pair_index"]]
    observed = np.where(test["mask"][:, 0] > 0, test["y"][:, 0], np.nan)
    predicted = np.where(test["mask"][:, 0] > 0, prediction[bands], np.nan)

    west, south, east, north = grid.bounds
    maps = Path(out["maps"])
    maps.mkdir(parents=True, exist_ok=True)
    for k, band in enumerate(bands):
        date = pairs["ndvi_date"].iloc[test["pair_index"][k]]
        title = f"test area, Sentinel-1 {times[band]:%Y-%m-%d %H:%M} UTC vs Planet {date}"
        figures.save(
            figures.ndvi_maps(predicted[k], observed[k], (west, east, south, north), title),
            maps / f"{times[band]:%Y%m%dT%H%M}_planet_{date}.png",
        )

    histories = {
        stage: pd.read_csv(inp[key]) for stage, key in (("pre-training", "pretrain"), ("fine-tuning", "finetune"))
    }
    figures.save(figures.training_curves(histories), out["curves"])
    figures.save(figures.scatter(predicted, observed), out["scatter"])

    # parcel means at the largest farm parcels of the test area
    parcels = read_raster(inp["parcels"], grid)[0].astype(int)
    ids, sizes = np.unique(parcels[parcels > 0], return_counts=True)
    chosen = ids[np.argsort(sizes)[::-1][:parcels_shown]]
    ensemble = read_raster(inp["ensemble"], grid)
    fields = [parcels == pid for pid in chosen]
    mean_of = np.stack([[np.nanmean(prediction[b][field]) for b in range(len(times))] for field in fields])
    std_of = np.stack([[np.nanmean(ensemble[2 * b + 1][field]) for b in range(len(times))] for field in fields])
    seen = np.full(mean_of.shape, np.nan)
    for k, band in enumerate(bands):
        for row, field in enumerate(fields):
            values = observed[k][field]
            if np.isfinite(values).any():
                seen[row, band] = np.nanmean(values)
    figures.save(figures.parcel_timeseries(times, mean_of, std_of, seen), out["timeseries"])

    fit = json.loads(Path(inp["regression"]).read_text())
    samples = pd.read_csv(inp["regression_samples"])
    figures.save(
        figures.regression(
            samples["source"].to_numpy(),
            samples["reference"].to_numpy(),
            fit["slope"],
            fit["intercept"],
            fit["r2"],
            titles=(sensor(sensors[0]).title, sensor(sensors[1]).title),
        ),
        out["regression"],
    )
    write_text_if_changed(out["ablation"], figures.html_table(pd.read_csv(inp["ablation"]), "Table 3: ablation (MSE)"))
    write_text_if_changed(
        out["baselines"], figures.html_table(pd.read_csv(inp["baselines"]), "The method against baselines")
    )
    log.info("report figures: %d NDVI maps, curves, scatter, %d parcels, regression, tables", len(bands), len(chosen))
