"""What a farm user reads: the per-field table, the gap-free series and how well it predicts hidden dates."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import rasterio
from workflow_cli import copy_run, run_snakemake

from sar2ndvi.fusion import field_statistics

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def fused_run(repo, finished_demo_run, tmp_path_factory) -> Path:
    run = copy_run(finished_demo_run, tmp_path_factory.mktemp("fusion") / "run")
    result = run_snakemake(repo, run, "fusion")
    assert result.returncode == 0, result.stderr[-4000:]
    return run


def study_days(run: Path) -> pd.DatetimeIndex:
    import yaml

    study = yaml.safe_load((run / "config.yaml").read_text())["study"]
    return pd.date_range(study["start"], study["end"], freq="D", tz="UTC")


def test_the_field_table_holds_every_kind_per_parcel_and_date_with_maffs_identifiers(fused_run):
    fields = gpd.read_parquet(fused_run / "results/fields_test.parquet")
    assert fields.crs.to_epsg() == 32654
    assert {"polygon_uuid", "land_type", "time", "kind", "ndvi_mean", "ndvi_std", "pixels", "uncertainty"} <= set(
        fields.columns
    )
    assert set(fields["kind"]) == {"sar", "planet", "sentinel2", "fused"}
    assert fields["polygon_uuid"].str.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}").all()
    fused = fields[fields["kind"] == "fused"]
    days = study_days(fused_run)
    assert (fused.groupby("polygon_uuid")["time"].apply(list).map(len) == len(days)).all(), "a value every day"
    assert fused["ndvi_mean"].notna().all() and (fused["uncertainty"] > 0).all()
    twin = pd.read_csv(fused_run / "results/fields_test.csv")
    assert len(twin) == len(fields) and "geometry" not in twin


def test_the_radar_rows_are_the_parcel_means_of_the_predicted_map(fused_run):
    fields = gpd.read_parquet(fused_run / "results/fields_test.parquet")
    with rasterio.open(fused_run / "results/ndvi_test.tif") as src:
        predicted = src.read().astype(np.float64)
        first = pd.Timestamp(src.descriptions[0], tz="UTC")  # acquisition times are UTC
    with rasterio.open(fused_run / "results/farms/test_mask.tif") as src:
        parcels = src.read(1)
    ids, means, _, counts = field_statistics(predicted[:1], parcels)
    radar = fields[(fields["kind"] == "sar") & (fields["time"] == first)].set_index("parcel_id")
    seen = counts[:, 0] > 0
    np.testing.assert_allclose(radar.loc[ids[seen], "ndvi_mean"], means[seen, 0], rtol=1e-6)
    np.testing.assert_array_equal(radar.loc[ids[seen], "pixels"], counts[seen, 0])


def test_the_fused_map_has_a_band_per_day_on_the_farms_with_its_interval(fused_run):
    days = study_days(fused_run)
    with rasterio.open(fused_run / "results/ndvi_test_fused.tif") as src:
        fused = src.read()
        assert list(src.descriptions) == [f"{d:%Y-%m-%d}" for d in days]
    with rasterio.open(fused_run / "results/ndvi_test_fused_std.tif") as src:
        std = src.read()
    with rasterio.open(fused_run / "results/farms/test_mask.tif") as src:
        farm = src.read(1) > 0
    assert np.isnan(fused[:, ~farm]).all()
    assert np.isfinite(fused[:, farm]).mean() > 0.95
    assert (std[np.isfinite(fused)] > 0).all()
    assert ((fused[np.isfinite(fused)] > -0.5) & (fused[np.isfinite(fused)] < 1.2)).all()


def test_hidden_dates_are_scored_for_every_method_and_gap_and_the_intervals_checked(fused_run):
    table = pd.read_csv(fused_run / "results/fusion.csv")
    calibration = json.loads((fused_run / "results/fusion/calibration.json").read_text())
    assert set(table["method"]) == {
        "fused (radar + optical)",
        "radar prediction alone",
        "optical dates alone",
        "per-field random forest",
    }
    assert sorted(set(table["optical_gap_days"])) == [0, 14, 30]
    optical = table[table["method"] == "optical dates alone"].set_index("optical_gap_days")["pixel_mse"]
    assert optical[0] < optical[30], "the optical dates alone lose accuracy as the gap widens"
    radar = table[table["method"] == "radar prediction alone"]["pixel_mse"]
    assert radar.nunique() == 1, "the radar does not depend on the optical gap"
    coverage = pd.read_csv(fused_run / "results/fusion_coverage.csv")
    assert set(coverage["nominal"].round(3)) == {0.683, 0.95}
    assert coverage["coverage"].between(0, 1).all()
    assert calibration["pixel"]["smoothness"] in [float(c) for c in calibration["pixel"]["smoothness_scores"]]
