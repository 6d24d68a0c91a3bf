"""Fusion steps: the errors of each kind of observation and the smoothness (validation area), the gap-free
series of an area per pixel and per field with the per-field table, and the leave-one-date-out evaluation
on the test area.

Every NDVI here is on the reference sensor's scale (Planet's): the pre-training sensor's images are
mapped onto it by the regression of the workflow. Times are UTC; the regular steps start at
``study.start`` 00:00 UTC.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from sar2ndvi.steps.job import as_paths

log = logging.getLogger(__name__)

#: the kinds of observation, as the per-field table and the calibration name them
RADAR = "sar"
FUSED = "fused"
#: the intervals calibrated and checked: name → nominal coverage
INTERVALS = {"68": 0.6827, "95": 0.95}


@dataclass(frozen=True)
class AreaSeries:
    """The observations of one area, each kind as (times (N,), images (N, H, W)), NDVI on the reference's scale."""

    radar: tuple[np.ndarray, np.ndarray]
    reference: tuple[np.ndarray, np.ndarray]
    pretraining: tuple[np.ndarray, np.ndarray]
    parcels: np.ndarray  # (H, W) parcel ids, 0 = not farm

    @property
    def farm(self) -> np.ndarray:
        return self.parcels > 0

    def pixels(self, kind: str) -> tuple[np.ndarray, np.ndarray]:
        """(times, values (S, N)) of the area's farm pixels."""
        times, images = getattr(self, kind)
        return times, images[:, self.farm].T

    def fields(self, kind: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(ids, times, means (F, N), stds, counts) of the area's fields."""
        from sar2ndvi.fusion import field_statistics

        times, images = getattr(self, kind)
        ids, means, stds, counts = field_statistics(images, self.parcels)
        return ids, times, means, stds, counts


def _date_time(stem: str) -> np.datetime64:
    return np.datetime64(f"{stem[:4]}-{stem[4:6]}-{stem[6:8]}", "s")


def _acquisition_time(description: str) -> np.datetime64:
    """The UTC time of a prediction band, from its description (``2017-07-12T20:45:10+00:00``)."""
    return np.datetime64(description.replace("+00:00", ""), "s")


def read_area_series(
    prediction: str | Path,
    reference_ndvi: Sequence[str],
    pretraining_ndvi: Sequence[str],
    regression: str | Path,
    mask: str | Path,
    grid: str | Path,
    study_grid: str | Path,
) -> AreaSeries:
    """The area's SAR predictions (bands named by acquisition time) and optical NDVI (files named by date).

    The pre-training sensor's NDVI is mapped onto the reference's scale by ``regression`` (its JSON fit).
    """
    import rasterio

    from sar2ndvi.grid import AreaGrid
    from sar2ndvi.io import gdal_block_cache, read_raster

    fit = json.loads(Path(regression).read_text())
    study, area = AreaGrid.read(study_grid), AreaGrid.read(grid)
    with rasterio.open(prediction) as src:
        radar_times = np.array([_acquisition_time(d) for d in src.descriptions], "datetime64[s]")
    radar = read_raster(prediction, area)
    with gdal_block_cache():

        def optical(paths: Sequence[str], slope: float = 1.0, intercept: float = 0.0):
            paths = sorted(paths, key=lambda p: Path(p).stem)
            times = np.array([_date_time(Path(p).stem) for p in paths], "datetime64[s]")
            images = [slope * read_raster(p, study, area)[0] + intercept for p in paths]
            return times, (np.stack(images) if images else np.zeros((0, *area.shape), np.float32))

        reference = optical(reference_ndvi)
        pretraining = optical(pretraining_ndvi, fit["slope"], fit["intercept"])
    parcels = read_raster(mask, area)[0]
    parcels = np.where(np.isfinite(parcels), parcels, 0).astype(np.int64)
    return AreaSeries((radar_times, radar), reference, pretraining, parcels)


def calibrate(
    prediction: str | Path,
    reference_ndvi: Sequence[str],
    pretraining_ndvi: Sequence[str],
    regression: str | Path,
    mask: str | Path,
    grid: str | Path,
    study_grid: str | Path,
    settings: Mapping[str, Any],
    max_days: float,
    start: str,
    end: str,
    out: str | Path,
) -> None:
    """The errors of each kind of observation, the smoothness and the deviation scale, on the validation area.

    Per pixel and per field: the RMSE of the radar predictions and of the pre-training sensor's
    mapped NDVI against the reference's within ``max_days``; the reference's own error is
    ``settings["reference_std"]``. The smoothness is the candidate whose fused series best predicts
    each reference date left out (``settings["smoothness"]`` if a number), and the deviation scale
    factors make the intervals of those left-out predictions cover 68.3 % and 95 % of them, with
    the optical dates within each of ``settings["gap_days"]`` of the left-out date left out too.
    """
    from sar2ndvi.fusion import RadarBias, leave_one_date_out, paired_errors, paired_rmse, regular_steps, std_scale
    from sar2ndvi.io import write_json

    series = read_area_series(prediction, reference_ndvi, pretraining_ndvi, regression, mask, grid, study_grid)
    steps = regular_steps(np.datetime64(start), np.datetime64(end), settings["step_days"])
    reference_std = float(settings["reference_std"])
    rng = np.random.default_rng(0)
    result: dict[str, Any] = {"reference_std": reference_std, "step_days": settings["step_days"]}
    for scale in ("pixel", "field"):
        if scale == "pixel":
            kinds = {kind: series.pixels(kind) for kind in ("radar", "reference", "pretraining")}
            count = len(kinds["reference"][1])
            # a sample of the pixels is enough to choose one number, and keeps the job short
            sample = np.sort(rng.choice(count, min(count, settings["calibration_pixels"]), replace=False))
            kinds = {kind: (times, values[sample]) for kind, (times, values) in kinds.items()}
        else:
            kinds = {kind: series.fields(kind)[1:3] for kind in ("radar", "reference", "pretraining")}
        ref_times, ref_values = kinds["reference"]
        radar_errors = paired_errors(*kinds["radar"], ref_times, ref_values, max_days)
        errors = {
            "radar": float(np.sqrt(np.mean(radar_errors**2))),
            "reference": reference_std,
            "pretraining": paired_rmse(*kinds["pretraining"], ref_times, ref_values, max_days)
            if len(kinds["pretraining"][0])
            else None,
        }
        others, biased = _observations({kind: kinds[kind] for kind in ("radar", "pretraining")}, errors)
        gapped = [not radar for radar in biased]
        hidden = (ref_times, ref_values, np.full(len(ref_times), reference_std))
        candidates = (
            [float(settings["smoothness"])]
            if settings["smoothness"] != "auto"
            else [float(c) for c in settings["smoothness_candidates"]]
        )
        scores = {}
        for smoothness in candidates:
            estimate, _, _ = leave_one_date_out(steps, hidden, others, smoothness)
            scores[smoothness] = float(np.nanmean((estimate - ref_values) ** 2))
        best = min(scores, key=scores.get)
        # the radar's bias model: the candidate (or none) that best predicts the left-out dates,
        # averaged over the optical gaps it is meant to bridge
        bias_scores: dict[str, float] = {}
        bias_models: dict[str, RadarBias | None] = {"none": None}
        if settings["radar_bias"]:
            for walk in settings["bias_smoothness_candidates"]:
                for pull in settings["bias_shrinkage_candidates"]:
                    bias_models[f"{walk:g}/{pull:g}"] = RadarBias(float(walk), float(pull))
        for name, model in bias_models.items():
            errors_by_gap = [
                leave_one_date_out(steps, hidden, others, best, False, gap, gapped, biased, model)[0] - ref_values
                for gap in settings["gap_days"]
            ]
            bias_scores[name] = float(np.mean([np.nanmean(e**2) for e in errors_by_gap]))
        chosen = min(bias_scores, key=bias_scores.get)
        bias = bias_models[chosen]
        # the deviation's factors, for each gap of the optical dates around the date predicted
        factors: dict[str, dict[str, float]] = {name: {} for name in INTERVALS}
        for gap in settings["gap_days"]:
            estimate, std, _ = leave_one_date_out(steps, hidden, others, best, True, gap, gapped, biased, bias)
            for name, nominal in INTERVALS.items():
                factors[name][f"{gap:g}"] = std_scale(estimate - ref_values, std, nominal)
        result[scale] = {
            "radar_std": errors["radar"],
            "pretraining_std": errors["pretraining"],
            "smoothness": best,
            "smoothness_scores": {f"{k:g}": v for k, v in scores.items()},
            "radar_bias": None if bias is None else {"smoothness": bias.smoothness, "shrinkage": bias.shrinkage},
            # left-out MSE of each bias model (walk smoothness / shrinkage), averaged over the gaps
            "radar_bias_scores": bias_scores,
            # the fused deviation times these factors is the half-width of the 68.3 % and 95 %
            # intervals, by the days to the nearest optical date (fusion.factor_by_distance)
            "interval_factors": factors,
            # the radar prediction's own intervals: quantiles of its absolute error
            "radar_intervals": {name: float(np.quantile(np.abs(radar_errors), p)) for name, p in INTERVALS.items()},
        }
        log.info(
            "%s: radar σ %.4f, pre-training sensor σ %s, smoothness %g (left-out MSE %s), radar bias %s (%s), "
            "68 %% factors %s",
            scale,
            errors["radar"],
            "n/a" if errors["pretraining"] is None else f"{errors['pretraining']:.4f}",
            best,
            ", ".join(f"{k:g}: {v:.5f}" for k, v in scores.items()),
            chosen,
            ", ".join(f"{k}: {v:.5f}" for k, v in bias_scores.items()),
            factors["68"],
        )
    write_json(out, result)


def _errors(calibration: Mapping[str, Any], scale: str) -> dict[str, float | None]:
    """Each kind's calibrated error (NDVI) at ``scale`` (``pixel`` or ``field``); None for a kind not measured."""
    return {
        "radar": calibration[scale]["radar_std"],
        "reference": calibration["reference_std"],
        "pretraining": calibration[scale]["pretraining_std"],
    }


def _observations(kinds: Mapping[str, tuple[np.ndarray, np.ndarray]], errors: Mapping[str, float | None]):
    """The kinds as :func:`sar2ndvi.fusion.fuse` takes them, each with its error, and which carry the radar's bias.

    A kind without observations, or without a measured error, is left out.
    """
    used = [kind for kind, (times, _) in kinds.items() if len(times) and errors[kind] is not None]
    observations = [(kinds[k][0], kinds[k][1], np.full(len(kinds[k][0]), errors[k])) for k in used]
    return observations, [kind == "radar" for kind in used]


def _bias(calibration: Mapping[str, Any], scale: str):
    from sar2ndvi.fusion import RadarBias

    model = calibration[scale].get("radar_bias")
    return None if model is None else RadarBias(model["smoothness"], model["shrinkage"])


def _fused(
    steps: np.ndarray, kinds: Mapping[str, tuple[np.ndarray, np.ndarray]], calibration: Mapping[str, Any], scale: str
) -> tuple[np.ndarray, np.ndarray]:
    """The fused series of ``kinds`` at ``scale`` and the half-width of its 68 % interval (calibrated 1σ)."""
    from sar2ndvi.fusion import days_to_nearest, factor_by_distance, fuse

    observations, biased = _observations(kinds, _errors(calibration, scale))
    settings = calibration[scale]
    fused, std = fuse(steps, observations, settings["smoothness"], biased=biased, bias=_bias(calibration, scale))
    optical = [kinds["reference"], kinds["pretraining"]]
    return fused, std * factor_by_distance(days_to_nearest(steps, optical), settings["interval_factors"]["68"])


def fuse_area(
    prediction: str | Path,
    reference_ndvi: Sequence[str],
    pretraining_ndvi: Sequence[str],
    regression: str | Path,
    calibration: str | Path,
    mask: str | Path,
    parcels: str | Path,
    grid: str | Path,
    study_grid: str | Path,
    sensors: Mapping[str, str],
    start: str,
    end: str,
    out_fused: str | Path,
    out_std: str | Path,
    out_fields: str | Path,
    out_fields_csv: str | Path,
    ensemble: str | Path | None = None,
) -> None:
    """The gap-free NDVI of an area, per pixel (a band per step) and per field, and its per-field table.

    The per-field table has a row per field, date and kind (``sar``, the reference sensor, the
    pre-training sensor, ``fused``): the mean NDVI of the field's valid pixels, their standard
    deviation and count, and ``uncertainty``, the calibrated 1σ error of that mean (for ``fused``,
    the smoother's posterior deviation times the validation area's scale); ``ensemble_std`` on the
    ``sar`` rows when ``ensemble`` is given, NaN elsewhere.

    Args:
        sensors: ``reference`` and ``pretraining`` sensor names (the kinds' names in the table).
        ensemble: the area's ensemble prediction (``"<time> mean"`` and ``"<time> std"`` bands), or None.
    """
    import geopandas as gpd
    import pandas as pd

    from sar2ndvi.fusion import regular_steps
    from sar2ndvi.grid import AreaGrid
    from sar2ndvi.io import atomic_path, raster_bands

    calib = json.loads(Path(calibration).read_text())
    area = AreaGrid.read(grid)
    series = read_area_series(prediction, reference_ndvi, pretraining_ndvi, regression, mask, grid, study_grid)
    steps = regular_steps(np.datetime64(start), np.datetime64(end), calib["step_days"])
    names = [str(day) for day in steps]
    tags = {
        "units": "NDVI",
        "smoothness": f"{calib['pixel']['smoothness']:g}",
        "sources": json.dumps([RADAR, sensors["reference"], sensors["pretraining"]]),
        "area": area.name,
    }
    fused, std = _fused(
        steps, {kind: series.pixels(kind) for kind in ("radar", "reference", "pretraining")}, calib, "pixel"
    )
    what_std = "half-width of the 68 % interval of the fused NDVI (its calibrated 1σ)"
    for path, values, what in ((out_fused, fused, "fused NDVI"), (out_std, std, what_std)):
        image = np.full((len(steps), *area.shape), np.nan, np.float32)
        image[:, series.farm] = values.T
        with raster_bands(path, area, len(steps), names, {**tags, "quantity": what}) as put:
            put(0, image)

    kind_names = {"radar": RADAR, "reference": sensors["reference"], "pretraining": sensors["pretraining"]}
    uncertainty = _errors(calib, "field")
    frames = []
    field_kinds = {}
    for kind in ("radar", "reference", "pretraining"):
        ids, times, means, stds, counts = series.fields(kind)
        field_kinds[kind] = (times, means)
        if not len(times):
            continue
        spread = np.nan
        if kind == "radar" and ensemble is not None:
            spread = ensemble_spread(ensemble, times, area, series.parcels).ravel()
        frames.append(
            pd.DataFrame(
                {
                    "parcel_id": np.repeat(ids, len(times)),
                    "time": np.tile(times, len(ids)),
                    "kind": kind_names[kind],
                    "ndvi_mean": means.ravel(),
                    "ndvi_std": stds.ravel(),
                    "pixels": counts.ravel(),
                    "uncertainty": uncertainty[kind],
                    "ensemble_std": spread,
                }
            )
        )
    field_fused, field_std = _fused(steps, field_kinds, calib, "field")
    # each field's pixels in the area (ids are the sorted parcel ids of the area, as field_statistics gives them)
    on_fields = series.parcels[series.farm]
    field_sizes = np.bincount(np.searchsorted(ids, on_fields), minlength=len(ids))
    frames.append(
        pd.DataFrame(
            {
                "parcel_id": np.repeat(ids, len(steps)),
                "time": np.tile(steps.astype("datetime64[s]"), len(ids)),
                "kind": FUSED,
                "ndvi_mean": field_fused.ravel(),
                "ndvi_std": np.nan,
                "pixels": np.repeat(field_sizes, len(steps)),
                "uncertainty": field_std.ravel(),
                "ensemble_std": np.nan,
            }
        )
    )
    table = pd.concat(frames, ignore_index=True)
    table = table[table["pixels"] > 0]
    table["time"] = pd.to_datetime(table["time"]).dt.tz_localize("UTC")
    polygons = gpd.read_file(parcels)[["parcel_id", "polygon_uuid", "land_type", "geometry"]]
    out = polygons.merge(table, on="parcel_id", how="inner").sort_values(["parcel_id", "time", "kind"])
    out = gpd.GeoDataFrame(out.reset_index(drop=True), geometry="geometry", crs=polygons.crs)
    with atomic_path(out_fields, suffix=".parquet") as tmp:
        out.to_parquet(tmp, index=False)
    with atomic_path(out_fields_csv, suffix=".csv") as tmp:
        out.drop(columns="geometry").to_csv(tmp, index=False, float_format="%.5f")
    log.info(
        "%s: %d steps fused for %d farm pixels and %d fields (%d table rows)",
        area.name,
        len(steps),
        int(series.farm.sum()),
        len(ids),
        len(out),
    )


def ensemble_spread(ensemble: str | Path, times: np.ndarray, area, parcels: np.ndarray) -> np.ndarray:
    """(F, N) spread of the ensemble over each field at each acquisition time of ``times`` (UTC).

    The spread of a field is the mean over its pixels of the members' per-pixel standard deviation
    (NDVI), an upper bound of the spread of the members' field means; NaN where the ensemble has no
    band of that acquisition. Fields are the sorted parcel ids of ``parcels``, as
    :func:`sar2ndvi.fusion.field_statistics` gives them.
    """
    import rasterio

    from sar2ndvi.fusion import field_statistics
    from sar2ndvi.io import read_raster

    with rasterio.open(ensemble) as src:
        bands = {
            _acquisition_time(name[: -len(" std")]): i
            for i, name in enumerate(src.descriptions)
            if name and name.endswith(" std")
        }
    missing = [t for t in times if t not in bands]
    if missing:
        log.warning("%s: no ensemble spread for %d acquisitions (%s…)", ensemble, len(missing), missing[0])
    image = read_raster(ensemble, area)
    stds = np.stack([image[bands[t]] if t in bands else np.full(area.shape, np.nan, np.float32) for t in times])
    return field_statistics(stds, parcels)[1]


def evaluate_fusion(
    prediction: str | Path,
    reference_ndvi: Sequence[str],
    pretraining_ndvi: Sequence[str],
    regression: str | Path,
    calibration: str | Path,
    mask: str | Path,
    grid: str | Path,
    study_grid: str | Path,
    indexes: Sequence[str],
    train_samples: str | Path,
    train_mask: str | Path,
    forest_settings: Mapping[str, Any],
    max_days: float,
    start: str,
    end: str,
    out_table: str | Path,
    out_coverage: str | Path,
    gap_days: Sequence[float] = (0,),
    threads: int = 1,
) -> None:
    """Each reference date of the test area hidden in turn, and predicted by each method from the rest.

    Methods: the fused series (radar and the other optical dates), the radar prediction of the
    acquisition nearest to the date (within ``max_days``), the optical dates alone (the same
    smoother without the radar), and the per-field random forest (Pelta et al., 2022) on that
    acquisition (its channels read from ``indexes``, the index rasters named by scene). Each is
    scored where all of them have a value, per pixel and per field (the field means of the same
    pixels), against the hidden image; and the fused series' and the radar's 68 % and 95 %
    intervals, calibrated on the validation area, are checked against it.

    Args:
        gap_days: half-widths, in days, of the optical gaps evaluated: with 0 only the hidden date
            is left out; with g every optical image within g days of it too (a cloudy spell of 2g days).
    """
    import pandas as pd

    from sar2ndvi.baselines import FieldForest
    from sar2ndvi.dataset import load_samples
    from sar2ndvi.fusion import factor_by_distance, interval_coverage, leave_one_date_out, regular_steps
    from sar2ndvi.grid import AreaGrid
    from sar2ndvi.indexes import CHANNEL_NAMES
    from sar2ndvi.io import atomic_path, gdal_block_cache, read_raster

    calib = json.loads(Path(calibration).read_text())
    series = read_area_series(prediction, reference_ndvi, pretraining_ndvi, regression, mask, grid, study_grid)
    steps = regular_steps(np.datetime64(start), np.datetime64(end), calib["step_days"])
    ref_times, ref_images = series.reference
    radar_times, radar_images = series.radar
    farm = series.farm

    # the radar acquisition nearest to each reference date, within the pairing window
    gaps = np.abs((radar_times[None, :] - ref_times[:, None]) / np.timedelta64(1, "D"))
    nearest = gaps.argmin(axis=1)
    paired = gaps[np.arange(len(ref_times)), nearest] <= max_days

    kinds = {kind: series.pixels(kind) for kind in ("radar", "pretraining")}
    sigma = calib["pixel"]
    errors = _errors(calib, "pixel")
    optical_kinds, _ = _observations({"pretraining": kinds["pretraining"]}, errors)
    radar_kinds, _ = _observations({"radar": kinds["radar"]}, errors)
    bias = _bias(calib, "pixel")
    hidden = (ref_times, ref_images[:, farm].T, np.full(len(ref_times), calib["reference_std"]))

    # the per-field random forest of the baselines, trained on the training area's pairs
    study = AreaGrid.read(study_grid)
    area = AreaGrid.read(grid)
    train = load_samples(train_samples, CHANNEL_NAMES)
    train_parcels = read_raster(train_mask, None)[0]
    train_parcels = np.where(np.isfinite(train_parcels), train_parcels, 0).astype(np.int64)
    forest = FieldForest(
        trees=forest_settings["trees"],
        min_samples_leaf=forest_settings["min_samples_leaf"],
        seed=forest_settings["seed"],
        threads=threads,
    ).fit(train["x"], train["y"], train["mask"], train_parcels)
    index_of = {Path(p).stem: p for p in as_paths(indexes)}
    scene_names = json.loads(_tags(prediction)["scenes"])
    with gdal_block_cache():
        forest_images = {
            m: forest.predict(read_raster(index_of[scene_names[nearest[m]]], study, area)[np.newaxis], series.parcels)[
                0
            ]
            for m in np.flatnonzero(paired)
        }

    def on_area(values: np.ndarray) -> np.ndarray:
        image = np.full(area.shape, np.nan)
        image[farm] = values
        return image

    rows, coverage_rows = [], []
    for gap in gap_days:
        fused, fused_std, distance = leave_one_date_out(
            steps, hidden, [*radar_kinds, *optical_kinds], sigma["smoothness"], True, gap,
            [False] * len(radar_kinds) + [True] * len(optical_kinds),
            [True] * len(radar_kinds) + [False] * len(optical_kinds), bias,
        )  # fmt: skip
        optical, _, _ = leave_one_date_out(
            steps, hidden, optical_kinds, sigma["smoothness"], False, gap, [True] * len(optical_kinds)
        )
        truth, predicted, deviations, field_rows = [], {}, {name: [] for name in INTERVALS}, []
        for m in np.flatnonzero(paired):
            candidates = {
                "fused (radar + optical)": on_area(fused[:, m]),
                "radar prediction alone": radar_images[nearest[m]],
                "optical dates alone": on_area(optical[:, m]),
                "per-field random forest": forest_images[m],
            }
            observed = ref_images[m]
            keep = farm & np.isfinite(observed)
            for image in candidates.values():
                keep &= np.isfinite(image)
            if not keep.any():
                continue
            truth.append(observed[keep])
            for name, image in candidates.items():
                predicted.setdefault(name, []).append(image[keep])
            for name in INTERVALS:
                factor = factor_by_distance(distance[:, m], sigma["interval_factors"][name])
                deviations[name].append(on_area(factor * fused_std[:, m])[keep])
            for pid in np.unique(series.parcels[keep]):
                on = keep & (series.parcels == pid)
                field_rows.append(
                    {"observed": float(observed[on].mean()), **{k: float(v[on].mean()) for k, v in candidates.items()}}
                )
        truth = np.concatenate(truth)
        fields = pd.DataFrame(field_rows)
        for name, values in predicted.items():
            values = np.concatenate(values)
            rows.append(
                {
                    "optical_gap_days": 2 * gap,
                    "method": name,
                    "pixel_mse": float(np.mean((values - truth) ** 2)),
                    "field_mse": float(np.mean((fields[name] - fields["observed"]) ** 2)),
                    "pixels": int(truth.size),
                    "fields_x_dates": len(fields),
                }
            )
        errors = {name: np.concatenate(values) - truth for name, values in predicted.items()}
        for name, nominal in INTERVALS.items():
            coverage_rows.append(
                {
                    "optical_gap_days": 2 * gap,
                    "method": "fused (radar + optical)",
                    "nominal": nominal,
                    "coverage": interval_coverage(
                        errors["fused (radar + optical)"], np.concatenate(deviations[name]), 1.0
                    ),
                    "pixels": int(truth.size),
                }
            )
            if gap == gap_days[0]:
                radar_half_width = np.full(truth.shape, sigma["radar_intervals"][name])
                coverage_rows.append(
                    {
                        "optical_gap_days": None,
                        "method": "radar prediction alone",
                        "nominal": nominal,
                        "coverage": interval_coverage(errors["radar prediction alone"], radar_half_width, 1.0),
                        "pixels": int(truth.size),
                    }
                )
    table = pd.DataFrame(rows)
    # how much lower each method's MSE is than the best of the others' at the same gap (positive: better)
    for scale in ("pixel", "field"):
        column = f"{scale}_mse"
        best_other = table.apply(
            lambda r, column=column: table[(table.optical_gap_days == r.optical_gap_days) & (table.method != r.method)][
                column
            ].min(),
            axis=1,
        )
        table[f"{column}_below_best_other"] = 1 - table[column] / best_other
    with atomic_path(out_table, suffix=".csv") as tmp:
        table.to_csv(tmp, index=False, float_format="%.6f")
    coverage = pd.DataFrame(coverage_rows)
    with atomic_path(out_coverage, suffix=".csv") as tmp:
        coverage.to_csv(tmp, index=False, float_format="%.4f")
    log.info("fusion on the test area, each reference date left out:\n%s", table.to_string())
    log.info("interval coverage:\n%s", coverage.to_string())


def _tags(path: str | Path) -> dict[str, str]:
    import rasterio

    with rasterio.open(path) as src:
        return src.tags()


def fusion_figures(
    fields: str | Path,
    coverage: str | Path,
    table: str | Path,
    sensors: Mapping[str, str],
    parcels: int,
    out_curves: str | Path,
    out_calibration: str | Path,
    out_table: str | Path,
) -> None:
    """The report's fusion figures: a few fields' curves with their bands, the calibration plot, the table.

    The fields drawn are those with the most reference dates, largest first: the curves are judged
    where there is the most to see.
    """
    import geopandas as gpd
    import pandas as pd

    from sar2ndvi import figures
    from sar2ndvi.io import write_text_if_changed

    rows = gpd.read_parquet(fields)
    observed = rows[rows["kind"] == sensors["reference"]].groupby("parcel_id")["pixels"].agg(["count", "max"])
    chosen = observed.sort_values(["count", "max"], ascending=False).index[:parcels].tolist()
    figures.save(figures.field_curves(rows, chosen, sensors["reference"], sensors["pretraining"]), out_curves)
    figures.save(figures.interval_calibration(pd.read_csv(coverage)), out_calibration)
    write_text_if_changed(
        out_table,
        figures.html_table(
            pd.read_csv(table), "Each Planet date of the test area hidden: MSE by method and optical gap"
        ),
    )
