"""The ASF client: asf-search's own search and session, answered by recorded CMR and ASF responses."""

from __future__ import annotations

import hashlib
import io
import logging
import zipfile
from urllib.parse import parse_qs

import asf_search
import pytest
import requests
from recorded_http import Reply, cmr_page, cmr_s1_grd_granule, json_reply, mounted

from sar2ndvi.runlog import configure
from sar2ndvi.sources.asf import download_scene, earthdata_session, search_asf
from sar2ndvi.sources.credentials import EarthdataCredentials, MissingCredentialsError
from sar2ndvi.sources.errors import EmptySearchError
from sar2ndvi.sources.transfer import TransferError, VerificationError

STUDY_BOX = (138.465, 36.502, 138.513, 36.550)
TSUMAGOI_FOOTPRINT = [(139.9, 35.6), (136.9, 36.0), (137.3, 37.6), (140.3, 37.2), (139.9, 35.6)]
ELSEWHERE_FOOTPRINT = [(141.9, 35.6), (140.6, 35.8), (141.0, 37.4), (142.3, 37.2), (141.9, 35.6)]
SCENE_LATE = "S1B_IW_GRDH_1SDV_20170914T204437_20170914T204502_007377_00D05C_8F21"
SCENE_EARLY = "S1A_IW_GRDH_1SDV_20170503T204512_20170503T204537_016419_01B3C5_1A2B"
SCENE_OTHER_TRACK = "S1A_IW_GRDH_1SDV_20170610T205321_20170610T205346_016973_01C4B2_77C0"
FAKE_TOKEN = "fake-edl-token-5f3a9c2e71"


def product_zip(scene: str) -> bytes:
    buffer = io.BytesIO()
    stamp = (2017, 5, 3, 20, 45, 12)  # a fixed member time, so that every call gives the same bytes
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(zipfile.ZipInfo(f"{scene}.SAFE/manifest.safe", stamp), "<xfdu/>" * 4000, zipfile.ZIP_DEFLATED)
        archive.writestr(
            zipfile.ZipInfo(f"{scene}.SAFE/measurement/s1-iw-grd-vv.tiff", stamp),
            bytes(range(256)) * 400,
            zipfile.ZIP_DEFLATED,
        )
    return buffer.getvalue()


def granule(scene: str, relative_orbit: int, footprint=TSUMAGOI_FOOTPRINT, body: bytes | None = None) -> dict:
    body = body or product_zip(scene)
    return cmr_s1_grd_granule(scene, relative_orbit, "DESCENDING", footprint, len(body), hashlib.md5(body).hexdigest())


@pytest.fixture
def asf_session():
    session = asf_search.ASFSession()
    return session, mounted(session)


def cmr_query(transport) -> dict[str, list[str]]:
    posts = [r for r in transport.sent if r.method == "POST" and "granules.umm_json" in r.url]
    assert posts, "no CMR granule search was sent"
    return parse_qs(posts[0].body)


def test_the_search_asks_for_the_papers_scenes_and_lists_them_sorted_once_each(asf_session):
    session, transport = asf_session
    page = [granule(SCENE_LATE, 46), granule(SCENE_EARLY, 46), granule(SCENE_LATE, 46), granule(SCENE_OTHER_TRACK, 119)]
    transport.route("POST", r"cmr\.earthdata\.nasa\.gov/search/granules\.umm_json", lambda r: cmr_page(page))

    table = search_asf(STUDY_BOX, "2017-05-01", "2017-11-30", "DESCENDING", session=session)

    assert list(table["scene"]) == [SCENE_EARLY, SCENE_OTHER_TRACK, SCENE_LATE]
    assert list(table["relative_orbit"]) == [46, 119, 46]
    assert set(table["flight_direction"]) == {"DESCENDING"}
    assert table.loc[0, "url"] == f"https://datapool.asf.alaska.edu/GRD_HD/SA/{SCENE_EARLY}.zip"
    assert table.loc[0, "bytes"] == len(product_zip(SCENE_EARLY))
    assert table.loc[0, "md5"] == hashlib.md5(product_zip(SCENE_EARLY)).hexdigest()
    query = " ".join(f"{k}={v}" for k, values in cmr_query(transport).items() for v in values)
    for wanted in ("BEAM_MODE,IW", "POLARIZATION,VV+VH", "ASCENDING_DESCENDING,DESCENDING", "SENTINEL-1A_DP_GRD_HIGH"):
        assert wanted in query, f"{wanted} missing from the CMR query: {query}"
    assert "2017-05-01T00:00:00Z" in query and "2017-11-30T23:59:59Z" in query
    assert "138.465" in query and "36.55" in query


def test_relative_orbits_are_passed_to_the_search_and_enforced_on_its_answer(asf_session):
    session, transport = asf_session
    page = [granule(SCENE_EARLY, 46), granule(SCENE_OTHER_TRACK, 119)]
    transport.route("POST", r"granules\.umm_json", lambda r: cmr_page(page))
    table = search_asf(STUDY_BOX, "2017-05-01", "2017-11-30", "DESCENDING", relative_orbits=[46], session=session)
    query = " ".join(v for values in cmr_query(transport).values() for v in values)
    assert "PATH_NUMBER,46" in query
    assert list(table["scene"]) == [SCENE_EARLY]  # and a listing of another track is not trusted


def test_scenes_whose_footprint_misses_the_study_box_or_period_are_dropped(asf_session):
    session, transport = asf_session
    before_period = "S1A_IW_GRDH_1SDV_20170428T204512_20170428T204537_016344_01B15F_0C1D"
    page = [granule(SCENE_EARLY, 46), granule(SCENE_LATE, 46, ELSEWHERE_FOOTPRINT), granule(before_period, 46)]
    transport.route("POST", r"granules\.umm_json", lambda r: cmr_page(page))
    table = search_asf(STUDY_BOX, "2017-05-01", "2017-11-30", "DESCENDING", session=session)
    assert list(table["scene"]) == [SCENE_EARLY]


def test_an_empty_search_says_which_filters_to_relax(asf_session):
    session, transport = asf_session
    transport.route("POST", r"granules\.umm_json", lambda r: cmr_page([]))
    with pytest.raises(EmptySearchError) as err:
        search_asf(STUDY_BOX, "2017-05-01", "2017-11-30", "DESCENDING", relative_orbits=[999], session=session)
    message = str(err.value)
    for hint in ("2017-05-01", "DESCENDING", "[999]", "sentinel1.relative_orbits", "areas.pretrain"):
        assert hint in message


def test_a_failing_search_is_an_error_not_an_empty_list(asf_session, monkeypatch):
    session, transport = asf_session
    monkeypatch.setattr(asf_search.constants.INTERNAL, "CMR_TIMEOUT", 1)
    transport.route("POST", r"granules\.umm_json", lambda r: json_reply({"errors": ["bad polygon"]}, status=400))
    with pytest.raises(asf_search.ASFSearchError):
        search_asf(STUDY_BOX, "2017-05-01", "2017-11-30", "DESCENDING", session=session)


# Downloads ----------------------------------------------------------------------------------


class DroppingStream(io.BytesIO):
    """A response body whose connection drops after ``keep`` bytes."""

    def __init__(self, data: bytes, keep: int):
        super().__init__(data[:keep])

    def read(self, size=-1):
        chunk = super().read(size)
        if not chunk:
            raise requests.ConnectionError("connection reset by peer")
        return chunk


def serve_product(transport, body: bytes, drops: list[int] | None = None, corrupt: bool = False):
    """ASF's datapool: a bearer token is redirected to the file, which honours Range requests."""
    drops = list(drops or [])
    signed = "https://sentinel1.asf.alaska.edu/signed/product.zip?Expires=1&Signature=abc"

    def datapool(request):
        if request.headers.get("Authorization") != f"Bearer {FAKE_TOKEN}":
            return Reply(401, b"Unauthorized")
        return Reply(307, b"", {"Location": signed})

    def signed_file(request):
        data = bytearray(body)
        if corrupt:
            data[len(data) // 2] ^= 0xFF
        start = int(request.headers.get("Range", "bytes=0-")[6:].rstrip("-"))
        status = 206 if start else 200
        reply = Reply(status, bytes(data[start:]), {"Content-Length": str(len(data) - start)})
        if drops:
            keep = drops.pop(0)
            response_body = reply.body
            reply.body = b""
            reply.stream = DroppingStream(response_body, keep)
        return reply

    transport.route("GET", r"datapool\.asf\.alaska\.edu", datapool)
    transport.route("GET", r"sentinel1\.asf\.alaska\.edu/signed", signed_file)
    return signed


@pytest.fixture
def logged_in(asf_session):
    session, transport = asf_session
    transport.route(
        "POST",
        r"urs\.earthdata\.nasa\.gov/oauth/tokens/user",
        lambda r: json_reply({}) if f"token={FAKE_TOKEN}" in r.body else json_reply({"error": "invalid"}, 401),
    )
    return earthdata_session(EarthdataCredentials(token=FAKE_TOKEN), session), transport


def record_for(scene: str, body: bytes) -> dict:
    return {
        "scene": scene,
        "url": f"https://datapool.asf.alaska.edu/GRD_HD/SA/{scene}.zip",
        "bytes": len(body),
        "md5": hashlib.md5(body).hexdigest(),
    }


def test_a_download_with_a_token_lands_verified(logged_in, tmp_path):
    session, transport = logged_in
    body = product_zip(SCENE_EARLY)
    serve_product(transport, body)
    dest = tmp_path / f"{SCENE_EARLY}.zip"
    download_scene(record_for(SCENE_EARLY, body), dest, session, backoff_s=0)
    assert dest.read_bytes() == body
    assert sorted(p.name for p in tmp_path.iterdir()) == [dest.name]


def test_an_interrupted_download_resumes_from_the_bytes_it_has(logged_in, tmp_path):
    session, transport = logged_in
    body = product_zip(SCENE_EARLY)
    serve_product(transport, body, drops=[len(body) // 3])
    dest = tmp_path / f"{SCENE_EARLY}.zip"
    download_scene(record_for(SCENE_EARLY, body), dest, session, backoff_s=0)
    assert dest.read_bytes() == body
    ranges = [r.headers.get("Range") for r in transport.sent if "signed" in r.url]
    assert ranges == [None, f"bytes={len(body) // 3}-"]


def test_a_download_that_keeps_failing_its_checksum_is_retried_then_refused_leaving_nothing(logged_in, tmp_path):
    session, transport = logged_in
    body = product_zip(SCENE_EARLY)
    serve_product(transport, body, corrupt=True)
    dest = tmp_path / f"{SCENE_EARLY}.zip"
    with pytest.raises(VerificationError) as err:
        download_scene(record_for(SCENE_EARLY, body), dest, session, attempts=3, backoff_s=0)
    assert "3 downloads" in str(err.value) and dest.name in str(err.value)
    assert sum("signed" in r.url for r in transport.sent) == 3
    assert list(tmp_path.iterdir()) == []


def test_a_connection_that_keeps_dropping_keeps_the_partial_file_for_the_next_run(logged_in, tmp_path):
    session, transport = logged_in
    body = product_zip(SCENE_EARLY)
    serve_product(transport, body, drops=[300, 300])
    dest = tmp_path / f"{SCENE_EARLY}.zip"
    with pytest.raises(TransferError, match="resumes"):
        download_scene(record_for(SCENE_EARLY, body), dest, session, attempts=2, backoff_s=0)
    assert not dest.exists()
    assert (tmp_path / f"{dest.name}.part").stat().st_size == 600 < len(body)
    download_scene(record_for(SCENE_EARLY, body), dest, session, attempts=1, backoff_s=0)
    assert dest.read_bytes() == body


def test_a_refused_download_is_not_retried_and_says_what_to_check(asf_session, tmp_path):
    session, transport = asf_session
    body = product_zip(SCENE_EARLY)
    serve_product(transport, body)
    with pytest.raises(TransferError, match="EULA"):
        download_scene(record_for(SCENE_EARLY, body), tmp_path / "x.zip", session, attempts=4, backoff_s=0)
    assert len(transport.sent) == 1
    assert list(tmp_path.iterdir()) == []


def test_a_refused_token_says_what_to_renew(asf_session):
    session, transport = asf_session
    transport.route("POST", r"urs\.earthdata\.nasa\.gov", lambda r: json_reply({"error": "invalid_token"}, 401))
    with pytest.raises(MissingCredentialsError, match="EARTHDATA_TOKEN") as err:
        earthdata_session(EarthdataCredentials(token=FAKE_TOKEN), session)
    assert FAKE_TOKEN not in str(err.value)


def test_the_token_never_reaches_the_log_of_a_download(logged_in, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("EARTHDATA_TOKEN", FAKE_TOKEN)
    session, transport = logged_in
    log_path = tmp_path / "logs" / "download.log"
    configure(log_path, level=logging.DEBUG)
    body = product_zip(SCENE_EARLY)
    serve_product(transport, body, drops=[500])
    download_scene(record_for(SCENE_EARLY, body), tmp_path / f"{SCENE_EARLY}.zip", session, backoff_s=0)
    logging.getLogger("sar2ndvi").debug("session headers: %s", dict(session.headers))
    text = log_path.read_text()
    assert "attempt 1/5" in text and "Bearer ***" in text
    assert FAKE_TOKEN not in text
    assert FAKE_TOKEN not in capsys.readouterr().err
