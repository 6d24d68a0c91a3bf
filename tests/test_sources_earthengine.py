"""The Earth Engine client: earthengine-api itself, answered by recorded REST responses."""

from __future__ import annotations

import json
import logging

import ee
import numpy as np
import pytest
import rasterio
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from rasterio.io import MemoryFile
from recorded_http import RecordedEarthEngine, json_reply

from sar2ndvi.grid import AreaGrid
from sar2ndvi.ndvi import landsat_ndvi, sentinel2_ndvi
from sar2ndvi.runlog import configure
from sar2ndvi.sources.credentials import MissingCredentialsError
from sar2ndvi.sources.earthengine import PRODUCTS, fetch, initialize, search
from sar2ndvi.sources.errors import EmptySearchError

STUDY_BOX = (138.465, 36.502, 138.513, 36.550)
SCENES = {
    "20170612T013651_20170612T013652_T54SUE": 1497231411000,  # 2017-06-12T01:36:51Z
    "20170503T013651_20170503T013652_T54SUE": 1493775411000,  # 2017-05-03T01:36:51Z
}
GRID = AreaGrid("pretrain", "EPSG:32654", 10.0, 720_000.0, 4_045_000.0, 37, 29)
SENTINEL2, LANDSAT = PRODUCTS["sentinel2"], PRODUCTS["landsat"]


def search_sentinel2(*args, **kwargs):
    return search(SENTINEL2, *args, **kwargs)


def fetch_sentinel2(*args, **kwargs):
    return fetch(SENTINEL2, *args, **kwargs)


def sentinel2_bands(rows: np.ndarray, cols: np.ndarray) -> list[np.ndarray]:
    """B4 = 1000 + column, B8 = 5000 + row, probability 7."""
    return [1000 + cols, 5000 + rows, np.full_like(cols, 7)]


LANDSAT_CLEAR, LANDSAT_CLOUD, LANDSAT_CLEAR_BUT_SHADOW = 1 << 6, 1 << 3, (1 << 6) | (1 << 4)


def landsat_bands(rows: np.ndarray, cols: np.ndarray) -> list[np.ndarray]:
    """SR_B4 10,000 and SR_B5 20,000 (reflectance 0.075 and 0.35); QA clear, except cloud in columns ≥ 30
    and cloud shadow in column 5."""
    qa = np.where(cols >= 30, LANDSAT_CLOUD, LANDSAT_CLEAR)
    qa[cols == 5] = LANDSAT_CLEAR_BUT_SHADOW
    return [np.full_like(cols, 10_000), np.full_like(cols, 20_000), qa]


def block_for(request: dict, bands=sentinel2_bands) -> bytes:
    """A computePixels answer on the requested grid; ``bands`` gives its pixels from the study grid's rows, columns."""
    grid = request["grid"]
    width, height = grid["dimensions"]["width"], grid["dimensions"]["height"]
    affine = grid["affineTransform"]
    col0 = round((affine["translateX"] - GRID.x_min) / GRID.resolution)
    row0 = round((GRID.y_max - affine["translateY"]) / GRID.resolution)
    cols, rows = np.meshgrid(np.arange(col0, col0 + width), np.arange(row0, row0 + height))
    data = np.stack(bands(rows, cols)).astype("uint16")
    transform = rasterio.Affine(affine["scaleX"], 0, affine["translateX"], 0, affine["scaleY"], affine["translateY"])
    with MemoryFile() as memory:
        with memory.open(
            driver="GTiff",
            width=width,
            height=height,
            count=3,
            dtype="uint16",
            crs=grid["crsCode"],
            transform=transform,
        ) as out:
            out.write(data)
        return memory.read()


@pytest.fixture
def service_account_key(tmp_path, monkeypatch):
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    key = {
        "type": "service_account",
        "project_id": "tsumagoi-ndvi",
        "private_key_id": "0123abcd",
        "private_key": pem,
        "client_email": "sar2ndvi@tsumagoi-ndvi.iam.gserviceaccount.com",
        "client_id": "1234567890",
        "token_uri": "https://oauth2.googleapis.com/token",
    }
    path = tmp_path / "ee-key.json"
    path.write_text(json.dumps(key))
    monkeypatch.setenv("EE_SERVICE_ACCOUNT_KEY", str(path))
    monkeypatch.delenv("EE_PROJECT", raising=False)
    return path, pem


@pytest.fixture
def earth_engine(service_account_key):
    """Earth Engine initialised with the service-account key, over recorded responses."""
    answers = {"compute": lambda body: [{"id": list(SCENES), "time": list(SCENES.values())}], "pixels": block_for}
    transport = RecordedEarthEngine(lambda body: answers["compute"](body), lambda body: answers["pixels"](body))
    project = initialize(http_transport=transport)
    ee.data.setMaxRetries(0)  # the client's own retries sleep; ours are under test
    yield transport, answers, project
    ee.Reset()


def test_a_service_account_key_file_logs_in_with_the_keys_project(earth_engine, service_account_key):
    transport, _, project = earth_engine
    assert project == "tsumagoi-ndvi"
    assert any(uri.startswith("https://oauth2.googleapis.com/token") for _, uri, _ in transport.sent)
    assert any("/projects/tsumagoi-ndvi/algorithms" in uri for _, uri, _ in transport.sent)


def test_the_search_lists_l1c_images_joined_with_s2cloudless_in_time_order(earth_engine):
    transport, _, _ = earth_engine
    table = search_sentinel2(
        STUDY_BOX, "2017-05-01", "2017-11-30", "results/sentinel2/exports", max_scene_cloud_percent=60
    )
    assert list(table["date"]) == ["20170503", "20170612"]
    assert list(table["acquired"]) == ["2017-05-03T01:36:51", "2017-06-12T01:36:51"]
    assert table.loc[0, "path"] == "results/sentinel2/exports/20170503T013651_20170503T013652_T54SUE.tif"
    computed = [body for _, uri, body in transport.sent if uri.split("?")[0].endswith("value:compute")]
    expression = json.dumps(computed[0])
    for wanted in (
        "COPERNICUS/S2_HARMONIZED",
        "COPERNICUS/S2_CLOUD_PROBABILITY",
        "Join.saveFirst",
        "CLOUDY_PIXEL_PERCENTAGE",
        "2017-05-01",
        "2017-12-01",  # the end day is inclusive
        "138.465",
    ):
        assert wanted in expression, wanted


def test_an_empty_search_says_which_settings_to_relax(earth_engine):
    _, answers, _ = earth_engine
    answers["compute"] = lambda body: [{"id": [], "time": []}]
    with pytest.raises(EmptySearchError, match=r"sentinel2\.max_scene_cloud_percent"):
        search_sentinel2(STUDY_BOX, "2017-05-01", "2017-11-30", "exports", max_scene_cloud_percent=5)


def test_an_image_is_computed_on_exactly_the_study_grid_in_tiles(earth_engine, tmp_path):
    transport, _, _ = earth_engine
    dest = tmp_path / "20170503T013651_20170503T013652_T54SUE.tif"
    fetch_sentinel2("20170503T013651_20170503T013652_T54SUE", GRID, dest, tile=16, backoff_s=0)
    requests_sent = [body for _, uri, body in transport.sent if "computePixels" in uri]
    assert len(requests_sent) == 3 * 2  # 37 columns and 29 rows in blocks of 16
    assert {r["grid"]["crsCode"] for r in requests_sent} == {"EPSG:32654"}
    assert {r["fileFormat"] for r in requests_sent} == {"GEO_TIFF"}
    with rasterio.open(dest) as src:
        assert src.descriptions == ("B4", "B8", "probability")
        assert (src.crs.to_epsg(), src.transform, src.shape) == (32654, GRID.transform, GRID.shape)
        b4, b8, probability = src.read()
    rows, cols = np.indices(GRID.shape)
    np.testing.assert_array_equal(b4, 1000 + cols)
    np.testing.assert_array_equal(b8, 5000 + rows)
    assert (probability == 7).all()
    ndvi = sentinel2_ndvi(dest, GRID, cloud_probability_max=20)
    np.testing.assert_allclose(ndvi, (b8 - b4.astype(float)) / (b8 + b4.astype(float)), rtol=1e-6)


def test_landsat_8_and_9_are_listed_in_one_request_and_merged_in_time_order(earth_engine):
    transport, answers, _ = earth_engine
    answers["compute"] = lambda body: [
        {"id": ["LC08_108035_20170605"], "time": [1496630000000]},
        {"id": [], "time": []},
    ]
    table = search(
        LANDSAT, STUDY_BOX, "2017-05-01", "2017-11-30", "results/landsat/exports", max_scene_cloud_percent=40
    )
    assert list(table["id"]) == ["LC08_108035_20170605"]
    assert table.loc[0, "path"] == "results/landsat/exports/LC08_108035_20170605.tif"
    computed = [body for _, uri, body in transport.sent if uri.split("?")[0].endswith("value:compute")]
    assert len(computed) == 1
    expression = json.dumps(computed[0])
    for wanted in ("LANDSAT/LC08/C02/T1_L2", "LANDSAT/LC09/C02/T1_L2", "CLOUD_COVER", "2017-12-01"):
        assert wanted in expression, wanted


def test_a_landsat_image_becomes_ndvi_of_clear_pixels_only(earth_engine, tmp_path):
    transport, answers, _ = earth_engine
    answers["pixels"] = lambda body: block_for(body, landsat_bands)
    dest = tmp_path / "LC08_108035_20170605.tif"
    fetch(LANDSAT, "LC08_108035_20170605", GRID, dest, backoff_s=0)
    requested = json.dumps([body for _, uri, body in transport.sent if "computePixels" in uri])
    assert "LANDSAT/LC08/C02/T1_L2/LC08_108035_20170605" in requested
    with rasterio.open(dest) as src:
        assert src.descriptions == ("SR_B4", "SR_B5", "QA_PIXEL")
    ndvi = landsat_ndvi(dest, GRID)
    red, nir = 10_000 * 2.75e-5 - 0.2, 20_000 * 2.75e-5 - 0.2
    cols = np.indices(GRID.shape)[1]
    clear = (cols < 30) & (cols != 5)
    np.testing.assert_allclose(ndvi[clear], (nir - red) / (nir + red), rtol=1e-6)
    assert np.isnan(ndvi[~clear]).all()


def test_a_scene_id_of_another_landsat_is_refused_by_name():
    with pytest.raises(ValueError, match=r"LT05_108035_20070605.*Landsat 8 or 9"):
        LANDSAT.image("LT05_108035_20070605")


def test_quota_errors_are_retried_and_a_bad_request_is_not(earth_engine, tmp_path):
    transport, answers, _ = earth_engine
    failures = iter([429, 429])
    quota = {"error": {"code": 429, "message": "Too many concurrent aggregations.", "status": "RESOURCE_EXHAUSTED"}}

    def flaky(body):
        status = next(failures, None)
        return json_reply(quota, status) if status else block_for(body)

    answers["pixels"] = flaky
    dest = tmp_path / "scene.tif"
    fetch_sentinel2("20170503T013651_20170503T013652_T54SUE", GRID, dest, backoff_s=0)
    assert sum("computePixels" in uri for _, uri, _ in transport.sent) == 3
    assert dest.exists()

    answers["pixels"] = lambda body: json_reply({"error": {"code": 400, "message": "Image.load: no such asset"}}, 400)
    sent_before = len(transport.sent)
    with pytest.raises(ee.EEException, match="no such asset"):
        fetch_sentinel2("20990101T000000_20990101T000000_T54SUE", GRID, tmp_path / "missing.tif", backoff_s=0)
    assert len(transport.sent) == sent_before + 1
    assert not (tmp_path / "missing.tif").exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_the_private_key_never_reaches_the_log(earth_engine, service_account_key, tmp_path, capsys):
    _, pem = service_account_key
    log_path = tmp_path / "ee.log"
    configure(log_path, level=logging.DEBUG)
    search_sentinel2(STUDY_BOX, "2017-05-01", "2017-11-30", "exports")
    fetch_sentinel2("20170503T013651_20170503T013652_T54SUE", GRID, tmp_path / "s.tif", backoff_s=0)
    secret_line = pem.splitlines()[5]
    assert secret_line not in log_path.read_text()
    assert secret_line not in capsys.readouterr().err


@pytest.fixture
def no_google_credentials(monkeypatch, tmp_path):
    from google.auth.compute_engine import _metadata

    for name in ("EE_SERVICE_ACCOUNT_KEY", "GOOGLE_APPLICATION_CREDENTIALS", "EE_PROJECT"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("CLOUDSDK_CONFIG", str(tmp_path / "gcloud"))
    monkeypatch.setattr(_metadata, "_NO_GCE_CHECK", True)


def test_missing_credentials_say_what_to_set(no_google_credentials):
    with pytest.raises(MissingCredentialsError) as err:
        initialize(project="tsumagoi-ndvi")
    assert "earthengine authenticate" in str(err.value) and "EE_SERVICE_ACCOUNT_KEY" in str(err.value)


def test_a_key_path_that_does_not_exist_is_named(no_google_credentials, tmp_path):
    with pytest.raises(MissingCredentialsError, match=r"missing-key\.json"):
        initialize(service_account_key=tmp_path / "missing-key.json")


def test_a_file_that_is_not_a_key_is_refused(no_google_credentials, tmp_path):
    path = tmp_path / "notes.json"
    path.write_text('{"hello": "world"}')
    with pytest.raises(MissingCredentialsError, match="client_email"):
        initialize(service_account_key=path)
