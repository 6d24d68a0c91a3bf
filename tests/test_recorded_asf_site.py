"""The recorded ASF archive answers the real client in other Python processes as ASF would.

Each test starts a fresh interpreter with ``recorded_site`` on PYTHONPATH, as the workflow's jobs
are started, and calls the package's own search, login and download functions there.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from recorded_asf import (
    ARCHIVE_VARIABLE,
    RECORDED_SITE,
    read_requests_log,
    recorded_asf_environment,
    write_recorded_asf_archive,
)

from sar2ndvi.demo import DemoSpec, build_demo_store

STUDY_BOX = (138.482, 36.536, 138.495, 36.546)
START, END = "2017-07-01", "2017-07-20"
TOKEN = "recorded-edl-token-7c41e9"
WORLD = {
    "study": {"crs": "EPSG:32654", "resolution": 10, "start": START, "end": END},
    "areas": {
        "pretrain": dict(zip(("west", "south", "east", "north"), STUDY_BOX, strict=True)),
        "test": {"west": 138.483, "south": 36.538, "east": 138.493, "north": 36.544},
    },
    "demo": {
        "seed": 5,
        "s1_tracks": [{"relative_orbit": 46, "platform_incidence_deg": 38.0}],
        "s1_max_scenes": 3,
        "s2_max_dates": 1,
        "planet_dates": 1,
        "margin_m": 300,
    },
}

SEARCH = """
    import json, sys
    from sar2ndvi.sources.asf import search_asf
    box, start, end = json.loads(sys.argv[1])
    print(search_asf(tuple(box), start, end, "DESCENDING").to_json(orient="records"))
"""

DOWNLOAD = """
    import json, sys
    from sar2ndvi.sources.asf import download_scene, earthdata_session, search_asf
    from sar2ndvi.sources.credentials import EarthdataCredentials
    box, start, end, token, dest = json.loads(sys.argv[1])
    session = earthdata_session(EarthdataCredentials(token=token))
    record = search_asf(tuple(box), start, end, "DESCENDING").iloc[0].to_dict()
    download_scene(record, dest, session, backoff_s=0)
"""


@pytest.fixture(scope="module")
def catalog(tmp_path_factory) -> Path:
    store = tmp_path_factory.mktemp("demo_world")
    build_demo_store(DemoSpec.from_config(WORLD), store)
    return store / "sentinel1" / "catalog.json"


@pytest.fixture(scope="module")
def records(catalog) -> list[dict]:
    listed = json.loads(catalog.read_text())
    assert len(listed) == 3
    return sorted(listed, key=lambda r: r["startTime"])


@pytest.fixture
def archive(tmp_path) -> Path:
    return tmp_path / "asf_archive.json"


@pytest.fixture
def requests_log(tmp_path) -> Path:
    return tmp_path / "requests.jsonl"


def run_python(snippet: str, archive: Path, *args) -> subprocess.CompletedProcess:
    """Run ``snippet`` in a new interpreter answered by ``archive``, with ``args`` as JSON in argv[1]."""
    command = [sys.executable, "-c", textwrap.dedent(snippet), json.dumps(list(args))]
    env = recorded_asf_environment(archive)
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=180, cwd=archive.parent)


def search(archive: Path) -> list[dict]:
    result = run_python(SEARCH, archive, STUDY_BOX, START, END)
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout)


def test_a_search_lists_exactly_the_archives_scenes_sorted_by_time_with_their_size_md5_and_url(
    catalog, records, archive, requests_log
):
    first, _, last = records
    write_recorded_asf_archive(archive, catalog, [last["sceneName"], first["sceneName"]], TOKEN, requests_log)

    table = search(archive)

    assert [row["scene"] for row in table] == [first["sceneName"], last["sceneName"]]
    for row, record in zip(table, (first, last), strict=True):
        assert (row["bytes"], row["md5"]) == (record["bytes"], record["md5sum"])
        assert row["relative_orbit"] == record["pathNumber"] == 46
        assert row["flight_direction"] == "DESCENDING"
        assert row["url"] == f"https://datapool.asf.alaska.edu/GRD_HD/S{record['platform'][-1]}/{record['fileName']}"
    served = read_requests_log(requests_log)
    assert served and all(r["method"] == "POST" and "granules.umm_json" in r["url"] for r in served)
    assert {r["status"] for r in served} == {200}


def test_scenes_added_to_the_archive_are_listed_by_the_next_search(catalog, records, archive, requests_log):
    names = [r["sceneName"] for r in records]
    write_recorded_asf_archive(archive, catalog, names[:1], TOKEN, requests_log)
    assert [row["scene"] for row in search(archive)] == names[:1]

    write_recorded_asf_archive(archive, catalog, names, TOKEN, requests_log)
    assert [row["scene"] for row in search(archive)] == names


def test_a_download_with_the_token_lands_byte_identical_to_the_product_and_is_logged(
    catalog, records, archive, requests_log, tmp_path
):
    record = records[0]
    write_recorded_asf_archive(archive, catalog, [record["sceneName"]], TOKEN, requests_log)
    dest = tmp_path / "downloads" / record["fileName"]

    result = run_python(DOWNLOAD, archive, STUDY_BOX, START, END, TOKEN, str(dest))

    assert result.returncode == 0, result.stderr[-3000:]
    assert dest.read_bytes() == (catalog.parent / record["url"]).read_bytes()
    gets = [(r["url"], r["range"], r["status"]) for r in read_requests_log(requests_log) if r["method"] == "GET"]
    signed = f"https://sentinel1.asf.alaska.edu/signed/{record['fileName']}?Expires=1&Signature=abc"
    assert gets == [
        (f"https://datapool.asf.alaska.edu/GRD_HD/S{record['platform'][-1]}/{record['fileName']}", None, 307),
        (signed, None, 200),
    ]


def test_a_partial_download_is_resumed_with_a_range_request(catalog, records, archive, requests_log, tmp_path):
    record = records[0]
    write_recorded_asf_archive(archive, catalog, [record["sceneName"]], TOKEN, requests_log)
    product = (catalog.parent / record["url"]).read_bytes()
    dest = tmp_path / "downloads" / record["fileName"]
    dest.parent.mkdir()
    (dest.parent / f"{dest.name}.part").write_bytes(product[:1000])

    result = run_python(DOWNLOAD, archive, STUDY_BOX, START, END, TOKEN, str(dest))

    assert result.returncode == 0, result.stderr[-3000:]
    assert dest.read_bytes() == product
    signed = [(r["range"], r["status"]) for r in read_requests_log(requests_log) if "/signed/" in r["url"]]
    assert signed == [("bytes=1000-", 206)]


def test_a_wrong_token_is_refused_and_nothing_is_downloaded(catalog, records, archive, requests_log, tmp_path):
    write_recorded_asf_archive(archive, catalog, [records[0]["sceneName"]], TOKEN, requests_log)
    dest = tmp_path / "downloads" / records[0]["fileName"]

    result = run_python(DOWNLOAD, archive, STUDY_BOX, START, END, "not-the-token", str(dest))

    assert result.returncode != 0
    assert "MissingCredentialsError: Earthdata refused EARTHDATA_TOKEN" in result.stderr
    served = read_requests_log(requests_log)
    assert [(r["method"], r["status"]) for r in served] == [("POST", 401)]
    assert "urs.earthdata.nasa.gov/oauth/tokens/user" in served[0]["url"]
    assert not dest.exists()


def test_a_download_without_login_is_refused_by_the_datapool(catalog, records, archive, requests_log, tmp_path):
    write_recorded_asf_archive(archive, catalog, [records[0]["sceneName"]], TOKEN, requests_log)
    snippet = """
        import json, sys, asf_search
        from sar2ndvi.sources.asf import download_scene, search_asf
        box, start, end, dest = json.loads(sys.argv[1])
        record = search_asf(tuple(box), start, end, "DESCENDING").iloc[0].to_dict()
        download_scene(record, dest, asf_search.ASFSession(), backoff_s=0)
    """
    result = run_python(snippet, archive, STUDY_BOX, START, END, str(tmp_path / "x.zip"))

    assert result.returncode != 0 and "TransferError" in result.stderr
    gets = [(r["url"], r["status"]) for r in read_requests_log(requests_log) if r["method"] == "GET"]
    assert len(gets) == 1 and "datapool.asf.alaska.edu" in gets[0][0] and gets[0][1] == 401


def test_a_request_the_archive_does_not_record_fails_naming_it_and_is_logged(archive, requests_log, catalog, records):
    write_recorded_asf_archive(archive, catalog, [records[0]["sceneName"]], TOKEN, requests_log)
    result = run_python("import requests; requests.get('https://example.org/elsewhere')", archive)

    assert result.returncode != 0
    assert "unrecorded request: GET https://example.org/elsewhere" in result.stderr
    assert read_requests_log(requests_log) == [
        {"method": "GET", "url": "https://example.org/elsewhere", "range": None, "status": None}
    ]


def test_an_unknown_scene_is_not_written_to_the_archive(catalog, archive, requests_log):
    with pytest.raises(KeyError, match="S1A_IW_GRDH_1SDV_20990101"):
        write_recorded_asf_archive(archive, catalog, ["S1A_IW_GRDH_1SDV_20990101"], TOKEN, requests_log)
    assert not archive.exists()


def test_without_the_archive_variable_the_site_module_imports_nothing_and_patches_nothing(tmp_path):
    snippet = """
        import sys, sitecustomize
        print(sitecustomize.__file__)
        print("requests" in sys.modules)
        import requests
        print(requests.Session.__init__.__module__)
    """
    env = recorded_asf_environment(tmp_path / "unused.json")
    del env[ARCHIVE_VARIABLE]
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(snippet)], env=env, capture_output=True, text=True, timeout=60
    )

    assert result.returncode == 0, result.stderr
    site_file, requests_imported, init_module = result.stdout.split()
    assert Path(site_file) == RECORDED_SITE / "sitecustomize.py"
    assert requests_imported == "False"
    assert init_module == "requests.sessions"
