"""The optical sensors as one table: what the config accepts for each, and a sensor added by its entry."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sar2ndvi.grid import AreaGrid
from sar2ndvi.io import write_geotiff
from sar2ndvi.sensors import SENSORS, sensor
from sar2ndvi.settings import schema
from sar2ndvi.sources.earthengine import PRODUCTS

GRID = AreaGrid("t", "EPSG:32654", 10.0, 276000.0, 4046000.0, 8, 6)


def test_the_config_accepts_for_each_sensor_the_sources_its_entry_names():
    properties = schema()["properties"]
    for name, entry in SENSORS.items():
        assert properties["sources"]["properties"][name]["enum"] == list(entry.sources), name
        assert name in properties["local"]["properties"], name
        if "earthengine" in entry.sources:
            assert PRODUCTS[name].sensor == name
            assert "max_scene_cloud_percent" in properties[name]["properties"], name
        for key in entry.ndvi_settings:
            assert key in properties[name]["properties"], (name, key)


def test_any_sensor_can_be_the_reference_or_pre_train():
    roles = schema()["properties"]["sensors"]["properties"]
    assert set(roles["reference"]["enum"]) == set(SENSORS) == set(roles["pretraining"]["enum"])


def test_an_unknown_sensor_is_refused_naming_the_known_ones():
    with pytest.raises(KeyError, match="sentinel2, planet, landsat"):
        sensor("modis")


def test_a_folder_of_landsat_exports_is_listed_by_their_system_index(tmp_path):
    for name in ("LC08_108035_20170605", "LC09_108035_20171130", "LC08_108035_20171201"):
        write_geotiff(tmp_path / f"{name}.tif", np.ones((3, 6, 8)), GRID.transform, GRID.crs, "uint16", 0)
    table = sensor("landsat").list_folder(tmp_path, "2017-05-01", "2017-11-30")
    assert list(table["id"]) == ["LC08_108035_20170605", "LC09_108035_20171130"]
    assert list(table["date"]) == ["20170605", "20171130"]


def test_a_file_in_a_landsat_folder_that_is_not_an_export_is_named(tmp_path):
    (tmp_path / "LC08_108035_20170605.tif").write_bytes(b"")
    (tmp_path / "scene_june.tif").write_bytes(b"")
    with pytest.raises(ValueError, match=r"scene_june\.tif: not an Earth Engine Landsat 8/9"):
        sensor("landsat").list_folder(tmp_path, "2017-05-01", "2017-11-30")


def test_clear_fractions_count_each_areas_farm_pixels_seen(tmp_path):
    from sar2ndvi.io import write_raster
    from sar2ndvi.steps.optical import clear_fractions

    study = AreaGrid("pretrain", "EPSG:32654", 10.0, 276000.0, 4046000.0, 8, 6)
    west = AreaGrid("west", "EPSG:32654", 10.0, 276000.0, 4046000.0, 4, 6)
    (tmp_path / "pretrain.json").write_text(study.to_json())
    (tmp_path / "west.json").write_text(west.to_json())
    farm = np.zeros(study.shape, np.int32)
    farm[:, 2:6] = 1  # two farm columns in the west half, two in the east
    write_raster(tmp_path / "mask.tif", farm, study, ["parcel_id"], nodata=None)
    cloudy_west = np.full(study.shape, 0.5, np.float32)
    cloudy_west[:, :4] = np.nan
    write_raster(tmp_path / "a.tif", cloudy_west, study, ["NDVI"], {"date": "20170605"})
    write_raster(tmp_path / "b.tif", np.full(study.shape, 0.5, np.float32), study, ["NDVI"], {"date": "20170608"})
    out = tmp_path / "clear.csv"
    clear_fractions(
        [str(tmp_path / "a.tif"), str(tmp_path / "b.tif")],
        tmp_path / "mask.tif",
        tmp_path / "pretrain.json",
        [str(tmp_path / "pretrain.json"), str(tmp_path / "west.json")],
        out,
    )
    table = pd.read_csv(out, dtype={"date": str}).set_index(["date", "area"])["clear_fraction"]
    assert table[("20170605", "west")] == 0.0 and table[("20170605", "pretrain")] == 0.5
    assert table[("20170608", "west")] == 1.0 and table[("20170608", "pretrain")] == 1.0
