"""Orbit files per scene: ASF's orbit service through the unchanged s1-orbits client, answered by recorded
responses, a local folder of .EOF files, and the workflow's s1_orbit step in front of σ0.

The service answers ``GET https://s1-orbits.asf.alaska.edu/scene/<scene>`` with a redirect to the
public S3 copy of the POEORB file covering the scene, else of the RESORB file, or with 404 when
it has neither. The S3 bodies here are Earth Explorer files with synthetic state vectors every 10 s.
"""

from __future__ import annotations

import logging
import shutil

import numpy as np
import pandas as pd
import pytest
import requests
import yaml
from lxml import etree
from orbit_files import write_annotation_eof
from recorded_http import RecordedTransport, Reply
from workflow_cli import Job, job_set, jobs_of, run_snakemake, write_config

from sar2ndvi.sources.orbits import (
    ORBIT_SERVICE,
    OrbitFileError,
    OrbitNotAvailableError,
    check_orbit_file,
    copy_local_orbit,
    fetch_orbit,
    local_orbit_name,
)
from sar2ndvi.sources.sentinel1 import SCENE_COLUMNS
from sar2ndvi.sources.transfer import TransferError

S3 = "https://s1-orbits.s3.amazonaws.com"
SCENE = "S1A_IW_GRDH_1SDV_20230727T075102_20230727T075131_049606_05F70A_AE0A"
POEORB = "S1A_OPER_AUX_POEORB_OPOD_20230816T080815_V20230726T225942_20230728T005942.EOF"
RECENT_SCENE = "S1A_IW_GRDH_1SDV_20250715T112531_20250715T112558_060093_07776A_8FD0"
RESORB = "S1A_OPER_AUX_RESORB_OPOD_20250715T133833_V20250715T094652_20250715T130422.EOF"
LOST_SCENE = "S1B_IW_GRDH_1SDV_20230105T051122_20230105T051147_030148_039993_5371"


def utc(text: str) -> np.datetime64:
    return np.datetime64(text, "s")


def eof_body(name: str, first: str, last: str, step_s: int = 10) -> bytes:
    """An Earth Explorer orbit file (ESA's layout) named ``name`` with state vectors from ``first`` to ``last`` (UTC).

    The vectors follow a circular orbit of 7,071 km radius in the equatorial plane (m, m/s).
    """
    mission = {"S1A": "Sentinel-1A", "S1B": "Sentinel-1B"}[name[:3]]
    kind = "AUX_POEORB" if "_AUX_POEORB_" in name else "AUX_RESORB"
    root = etree.Element("Earth_Explorer_File")
    header = etree.SubElement(etree.SubElement(root, "Earth_Explorer_Header"), "Fixed_Header")
    for tag, text in (("File_Name", name.removesuffix(".EOF")), ("Mission", mission), ("File_Type", kind)):
        etree.SubElement(header, tag).text = text
    osvs = etree.SubElement(etree.SubElement(root, "Data_Block", type="xml"), "List_of_OSVs")
    radius, rate = 7_071_000.0, 2 * np.pi / 5924.0
    times = np.arange(utc(first), utc(last) + np.timedelta64(1, "s"), np.timedelta64(step_s, "s"))
    for t in times:
        angle = rate * (t - times[0]) / np.timedelta64(1, "s")
        osv = etree.SubElement(osvs, "OSV")
        etree.SubElement(osv, "UTC").text = f"UTC={t}.000000"
        values = {
            "X": radius * np.cos(angle),
            "Y": radius * np.sin(angle),
            "Z": 0.0,
            "VX": -radius * rate * np.sin(angle),
            "VY": radius * rate * np.cos(angle),
            "VZ": 0.0,
        }
        for tag, value in values.items():
            etree.SubElement(osv, tag, unit="m/s" if tag.startswith("V") else "m").text = f"{value:.6f}"
        etree.SubElement(osv, "Quality").text = "NOMINAL"
    osvs.set("count", str(len(osvs)))
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


POEORB_BODY = eof_body(POEORB, "2023-07-27T07:30:00", "2023-07-27T08:10:00")
RESORB_BODY = eof_body(RESORB, "2025-07-15T11:00:00", "2025-07-15T11:50:00")


class OrbitService(RecordedTransport):
    """The orbit service and its S3 bucket, recorded; every request's timeout is kept in ``timeouts``."""

    def __init__(self) -> None:
        super().__init__()
        self.timeouts: list = []

    def send(self, request, stream=False, timeout=None, verify=True, cert=None, proxies=None):
        self.timeouts.append(timeout)
        return super().send(request, stream, timeout, verify, cert, proxies)

    def answer(self, scene: str, *replies) -> None:
        """The service's replies to ``scene``, one per request (the last one repeats): a Reply or an exception."""
        self.route("GET", rf"^{ORBIT_SERVICE}/{scene}$", in_turn(replies))

    def serve(self, key: str, *replies) -> None:
        """The bucket's replies for the object ``key`` (``AUX_POEORB/<name>``), in turn."""
        self.route("GET", rf"^{S3}/{key}$", in_turn(replies))

    def requests_to(self, host: str) -> int:
        return sum(request.url.startswith(host) for request in self.sent)


def in_turn(replies):
    pending = list(replies)

    def handler(request):
        reply = pending.pop(0) if len(pending) > 1 else pending[0]
        if isinstance(reply, Exception):
            raise reply
        return reply

    return handler


def redirect(key: str) -> Reply:
    return Reply(302, b"", {"Location": f"{S3}/{key}"})


def eof(body: bytes) -> Reply:
    return Reply(200, body, {"Content-Length": str(len(body)), "Server": "AmazonS3"})


UNAVAILABLE = Reply(503, b'{"message":"Service Unavailable"}', {"Content-Type": "application/json"})
SLOW_DOWN = Reply(503, b"<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>")


@pytest.fixture
def service(monkeypatch) -> OrbitService:
    """Every `requests` session of the test (s1-orbits makes its own) answered by the recorded service."""
    transport = OrbitService()
    original_init = requests.Session.__init__

    def recorded_init(self, *args, **kwargs):
        original_init(self, *args, **kwargs)
        self.mount("https://", transport)
        self.mount("http://", transport)

    monkeypatch.setattr(requests.Session, "__init__", recorded_init)
    return transport


def nothing_left_beside(dest) -> bool:
    return not dest.exists() and not any(dest.parent.iterdir())


# From ASF ----------------------------------------------------------------------------------------


def test_the_precise_orbit_covering_the_scene_is_fetched_checked_and_written_in_place(service, tmp_path):
    service.answer(SCENE, redirect(f"AUX_POEORB/{POEORB}"))
    service.serve(f"AUX_POEORB/{POEORB}", eof(POEORB_BODY))
    dest = tmp_path / "orbits" / f"{SCENE}.EOF"

    kept = fetch_orbit(SCENE, dest, attempts=3, backoff_s=0, timeout_s=45)

    assert (kept.path, kept.name, kept.kind) == (dest, POEORB, "POEORB")
    assert dest.read_bytes() == POEORB_BODY
    assert sorted(p.name for p in dest.parent.iterdir()) == [dest.name], "no temporary file is left beside it"
    assert [r.url for r in service.sent] == [f"{ORBIT_SERVICE}/{SCENE}", f"{S3}/AUX_POEORB/{POEORB}"]
    assert service.timeouts == [45, 45], "every request carries downloads.timeout_s"
    orbit = check_orbit_file(dest, SCENE)
    assert orbit.epoch <= utc("2023-07-27T07:51:02")


def test_a_scene_without_a_precise_orbit_yet_gets_the_restituted_one_with_a_warning(service, tmp_path, caplog):
    service.answer(RECENT_SCENE, redirect(f"AUX_RESORB/{RESORB}"))
    service.serve(f"AUX_RESORB/{RESORB}", eof(RESORB_BODY))
    dest = tmp_path / f"{RECENT_SCENE}.EOF"

    with caplog.at_level(logging.WARNING):
        kept = fetch_orbit(RECENT_SCENE, dest, backoff_s=0)

    assert (kept.name, kept.kind) == (RESORB, "RESORB")
    assert dest.read_bytes() == RESORB_BODY
    assert "POEORB" in caplog.text and "20 days" in caplog.text


def test_no_orbit_at_asf_is_a_clear_error_naming_the_scene_and_not_retried(service, tmp_path):
    service.answer(LOST_SCENE, Reply(404, f"No valid orbit file found for Sentinel-1 scene {LOST_SCENE}".encode()))
    dest = tmp_path / "orbits" / f"{LOST_SCENE}.EOF"

    with pytest.raises(OrbitNotAvailableError) as err:
        fetch_orbit(LOST_SCENE, dest, attempts=5, backoff_s=0)

    message = str(err.value)
    for hint in (LOST_SCENE, "RESORB", "3 h", "POEORB", "20 days", "retry later", "sources.orbits: annotation"):
        assert hint in message
    assert len(service.sent) == 1 and service.requests_to(S3) == 0
    assert nothing_left_beside(dest)


@pytest.mark.parametrize(
    "reply, error",
    [
        (Reply(400, b'{"title":"Bad Request","status":400}'), OrbitNotAvailableError),
        (Reply(403, b"<Error><Code>AccessDenied</Code></Error>"), TransferError),
    ],
    ids=["invalid scene name", "refused"],
)
def test_a_refusal_fails_at_once_with_the_scene_named(service, tmp_path, reply, error):
    service.answer(SCENE, reply)
    with pytest.raises(error, match=SCENE):
        fetch_orbit(SCENE, tmp_path / f"{SCENE}.EOF", attempts=5, backoff_s=0)
    assert len(service.sent) == 1
    assert nothing_left_beside(tmp_path / f"{SCENE}.EOF")


def test_a_name_that_is_no_scene_fails_before_any_request(service, tmp_path):
    with pytest.raises(ValueError, match="not a Sentinel-1 IW GRD product name"):
        fetch_orbit("not_a_scene", tmp_path / "x.EOF")
    assert service.sent == []


def test_server_errors_and_timeouts_of_the_service_and_of_s3_are_retried_until_it_succeeds(service, tmp_path):
    service.answer(
        SCENE,
        UNAVAILABLE,
        requests.exceptions.ConnectTimeout("connect timed out"),
        redirect(f"AUX_POEORB/{POEORB}"),
    )
    service.serve(
        f"AUX_POEORB/{POEORB}", SLOW_DOWN, requests.exceptions.ReadTimeout("read timed out"), eof(POEORB_BODY)
    )
    dest = tmp_path / f"{SCENE}.EOF"

    kept = fetch_orbit(SCENE, dest, attempts=5, backoff_s=0)

    assert kept.kind == "POEORB" and dest.read_bytes() == POEORB_BODY
    assert service.requests_to(ORBIT_SERVICE) == 5 and service.requests_to(S3) == 3
    assert sorted(p.name for p in tmp_path.iterdir()) == [dest.name]


def test_retries_that_run_out_are_a_clear_error_and_leave_nothing(service, tmp_path):
    service.answer(SCENE, UNAVAILABLE)
    dest = tmp_path / "orbits" / f"{SCENE}.EOF"

    with pytest.raises(TransferError) as err:
        fetch_orbit(SCENE, dest, attempts=3, backoff_s=0)

    message = str(err.value)
    for hint in (SCENE, "3 attempts", "503", "nothing was written", "retry later", "sources.orbits: annotation"):
        assert hint.lower() in message.lower()
    assert service.requests_to(ORBIT_SERVICE) == 3
    assert nothing_left_beside(dest)


@pytest.mark.parametrize(
    "key, body, why",
    [
        (f"AUX_POEORB/{POEORB}", eof_body(POEORB, "2023-07-27T07:30:00", "2023-07-27T07:51:12"), "short of the scene"),
        (f"AUX_POEORB/{POEORB}", eof_body(POEORB, "2023-07-28T07:30:00", "2023-07-28T08:10:00"), "does not cover"),
        (f"AUX_POEORB/{POEORB}", b"<html><body>Service Unavailable</body></html>", "unreadable"),
        (f"AUX_POEORB/{POEORB.replace('S1A', 'S1B')}", POEORB_BODY, "not of S1A"),
    ],
    ids=["ends within the scene", "another day", "not an orbit file", "another satellite"],
)
def test_a_served_file_that_does_not_cover_the_scene_is_refused(service, tmp_path, key, body, why):
    service.answer(SCENE, redirect(key))
    service.serve(key, eof(body))
    dest = tmp_path / f"{SCENE}.EOF"

    with pytest.raises(OrbitFileError, match=why) as err:
        fetch_orbit(SCENE, dest, attempts=3, backoff_s=0)

    assert SCENE in str(err.value)
    assert service.requests_to(ORBIT_SERVICE) == 1, "the service's choice is not asked for again"
    assert nothing_left_beside(dest)


# From a local folder -----------------------------------------------------------------------------


@pytest.fixture
def orbit_folder(tmp_path):
    folder = tmp_path / "eof"
    folder.mkdir()
    resorb = "S1A_OPER_AUX_RESORB_OPOD_20230727T100000_V20230727T064500_20230727T101500.EOF"
    (folder / resorb).write_bytes(eof_body(resorb, "2023-07-27T07:30:00", "2023-07-27T08:10:00"))
    return folder


def test_the_covering_file_of_a_folder_is_copied_precise_before_restituted(orbit_folder, tmp_path):
    dest = tmp_path / "orbits" / f"{SCENE}.EOF"
    assert local_orbit_name(SCENE, orbit_folder).startswith("S1A_OPER_AUX_RESORB_")
    assert copy_local_orbit(SCENE, orbit_folder, dest).kind == "RESORB"

    (orbit_folder / POEORB).write_bytes(POEORB_BODY)
    assert local_orbit_name(SCENE, orbit_folder) == POEORB
    kept = copy_local_orbit(SCENE, orbit_folder, dest)
    assert (kept.name, kept.kind) == (POEORB, "POEORB")
    assert dest.read_bytes() == POEORB_BODY
    assert sorted(p.name for p in dest.parent.iterdir()) == [dest.name]


def test_a_folder_without_a_covering_file_names_the_scene_and_the_folder(orbit_folder, tmp_path):
    assert local_orbit_name(RECENT_SCENE, orbit_folder) is None
    with pytest.raises(FileNotFoundError) as err:
        copy_local_orbit(RECENT_SCENE, orbit_folder, tmp_path / "x.EOF")
    assert RECENT_SCENE in str(err.value) and str(orbit_folder) in str(err.value)
    assert "sources.orbits: annotation" in str(err.value)
    assert not (tmp_path / "x.EOF").exists()


def test_a_folder_file_named_as_covering_but_holding_other_vectors_is_refused(orbit_folder, tmp_path):
    (orbit_folder / POEORB).write_bytes(eof_body(POEORB, "2023-07-27T09:00:00", "2023-07-27T09:30:00"))
    with pytest.raises(OrbitFileError, match=SCENE):
        copy_local_orbit(SCENE, orbit_folder, tmp_path / "x.EOF")
    assert not (tmp_path / "x.EOF").exists()


# In the workflow ---------------------------------------------------------------------------------


def test_the_annotation_orbit_is_the_default_and_local_orbits_need_their_folder(repo):
    from snakemake.utils import validate

    schema = str(repo / "src" / "sar2ndvi" / "config.schema.yaml")
    areas = yaml.safe_load((repo / "config" / "config.yaml").read_text())["areas"]
    config = {"areas": areas}
    validate(config, schema)
    assert config["sources"]["orbits"] == "annotation" and config["sentinel1"]["orbit_files"] is None
    validate({"areas": areas, "sources": {"orbits": "asf"}}, schema)
    with pytest.raises(Exception, match=r"sources\.orbits: local needs sentinel1\.orbit_files"):
        validate({"areas": areas, "sources": {"orbits": "local"}}, schema)
    validate({"areas": areas, "sources": {"orbits": "local"}, "sentinel1": {"orbit_files": "/data/eof"}}, schema)
    with pytest.raises(Exception, match="sentinel-hub"):
        validate({"areas": areas, "sources": {"orbits": "sentinel-hub"}}, schema)


# A scene of the small demo study's period; the plan needs only its row in the search table.
DEMO_SCENE = "S1A_IW_GRDH_1SDV_20170603T204512_20170603T204537_016419_01B3C5_1A2B"
DEMO_POEORB = "S1A_OPER_AUX_POEORB_OPOD_20170623T121500_V20170602T225942_20170604T005942.EOF"
SIGMA0 = f"results/s1/sigma0/{DEMO_SCENE}.tif"
ORBIT = f"results/s1/orbits/{DEMO_SCENE}.EOF"


@pytest.fixture
def workdir(tmp_path):
    """A working directory whose last Sentinel-1 search listed one scene, with a folder holding its orbit file."""
    run = tmp_path / "run"
    (run / "results" / "s1").mkdir(parents=True)
    row = {
        "scene": DEMO_SCENE,
        "start": "2017-06-03T20:45:12",
        "stop": "2017-06-03T20:45:37",
        "platform": "S1A",
        "relative_orbit": 46,
        "absolute_orbit": 16419,
        "flight_direction": "DESCENDING",
        "url": f"resources/demo/sentinel1/{DEMO_SCENE}.zip",
        "bytes": 1000,
        "md5": "0" * 32,
    }
    pd.DataFrame([row], columns=SCENE_COLUMNS).to_csv(run / "results" / "s1" / "scenes.csv", index=False)
    folder = tmp_path / "eof"
    folder.mkdir()
    (folder / DEMO_POEORB).write_bytes(eof_body(DEMO_POEORB, "2017-06-03T20:30:00", "2017-06-03T21:00:00"))
    return run


def sigma0_inputs(output: str) -> str:
    """The ``input:`` line of the σ0 job in a dry run's plan."""
    lines = output.splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip() == "rule s1_sigma0:")
    return next(line for line in lines[start:] if line.strip().startswith("input:"))


def test_the_annotation_orbit_plans_no_orbit_job(repo, workdir):
    write_config(workdir, {"sources": {"orbits": "annotation"}})
    result = run_snakemake(repo, workdir, "--dry-run", SIGMA0)
    assert result.returncode == 0, result.stderr[-3000:]
    plan = result.stdout + result.stderr
    assert Job("s1_sigma0", f"scene={DEMO_SCENE}") in job_set(result)
    assert "s1_orbit" not in {job.rule for job in jobs_of(plan)}
    assert "results/s1/orbits" not in sigma0_inputs(plan)


@pytest.mark.parametrize("source", ["local", "asf"])
def test_local_and_asf_orbits_are_a_job_per_scene_that_sigma0_reads(repo, workdir, source):
    write_config(workdir, {"sources": {"orbits": source}, "sentinel1": {"orbit_files": str(workdir.parent / "eof")}})
    result = run_snakemake(repo, workdir, "--dry-run", SIGMA0)
    assert result.returncode == 0, result.stderr[-3000:]
    plan = result.stdout + result.stderr
    assert {Job("s1_orbit", f"scene={DEMO_SCENE}"), Job("s1_sigma0", f"scene={DEMO_SCENE}")} <= job_set(result)
    assert ORBIT in sigma0_inputs(plan)


def test_local_orbits_without_their_folder_are_refused_naming_the_key(repo, workdir):
    write_config(workdir, {"sources": {"orbits": "local"}})
    result = run_snakemake(repo, workdir, "--dry-run", SIGMA0)
    assert result.returncode != 0
    assert "sources.orbits: local needs sentinel1.orbit_files" in result.stdout + result.stderr


def test_a_local_orbit_is_copied_once_moving_its_folder_reruns_nothing_and_a_new_file_is_taken(repo, workdir):
    folder = workdir.parent / "eof"
    write_config(workdir, {"sources": {"orbits": "local"}, "sentinel1": {"orbit_files": str(folder)}})
    result = run_snakemake(repo, workdir, ORBIT, cores=1)
    assert result.returncode == 0, result.stderr[-3000:]
    assert (workdir / ORBIT).read_bytes() == (folder / DEMO_POEORB).read_bytes()
    assert DEMO_POEORB in (workdir / "logs" / "s1_orbit" / f"{DEMO_SCENE}.log").read_text()

    moved = shutil.move(folder, workdir.parent / "eof_moved")
    write_config(workdir, {"sources": {"orbits": "local"}, "sentinel1": {"orbit_files": str(moved)}})
    plan = run_snakemake(repo, workdir, "--dry-run", ORBIT)
    assert plan.returncode == 0, plan.stderr[-3000:]
    assert job_set(plan) == set(), "the same file in another folder is not copied again"

    newer = DEMO_POEORB.replace("20170623T121500", "20210301T000000")  # e.g. reprocessed
    (workdir.parent / "eof_moved" / newer).write_bytes(
        eof_body(newer, "2017-06-03T20:30:00", "2017-06-03T21:00:00", step_s=20)
    )
    plan = run_snakemake(repo, workdir, "--dry-run", ORBIT)
    assert plan.returncode == 0, plan.stderr[-3000:]
    assert job_set(plan) == {Job("s1_orbit", f"scene={DEMO_SCENE}")}


@pytest.mark.slow
def test_sigma0_geocodes_with_the_scenes_orbit_file(repo, tmp_path):
    """A demo scene's σ0 made with an orbit file of its annotation's vectors is its σ0 made with the annotation."""
    import rasterio

    from sar2ndvi.sentinel1.safe import SafeProduct

    run = tmp_path / "run"
    run.mkdir()
    write_config(run)
    assert run_snakemake(repo, run, "results/s1/scenes.csv").returncode == 0
    scene = pd.read_csv(run / "results/s1/scenes.csv")["scene"][0]
    sigma0 = f"results/s1/sigma0/{scene}.tif"
    result = run_snakemake(repo, run, sigma0)
    assert result.returncode == 0, result.stderr[-3000:]
    with rasterio.open(run / sigma0) as src:
        from_annotation = src.read()

    folder = tmp_path / "eof"
    folder.mkdir()
    day = pd.Timestamp(scene.split("_")[4][:8])
    validity = f"V{day - pd.Timedelta(days=1):%Y%m%d}T225942_{day + pd.Timedelta(days=1):%Y%m%d}T005942"
    write_annotation_eof(
        folder / f"{scene[:3]}_OPER_AUX_POEORB_OPOD_20210301T000000_{validity}.EOF",
        SafeProduct(run / "resources/demo/sentinel1" / f"{scene}.zip"),
    )
    write_config(run, {"sources": {"orbits": "local"}, "sentinel1": {"orbit_files": str(folder)}})
    result = run_snakemake(repo, run, sigma0)
    assert result.returncode == 0, result.stderr[-3000:]
    assert {Job("s1_orbit", f"scene={scene}"), Job("s1_sigma0", f"scene={scene}")} == job_set(result)
    assert f"orbit from results/s1/orbits/{scene}.EOF" in (run / "logs" / "s1_sigma0" / f"{scene}.log").read_text()
    with rasterio.open(run / sigma0) as src:
        np.testing.assert_allclose(src.read(), from_annotation, rtol=1e-5, atol=1e-7)

    moved = shutil.move(folder, tmp_path / "eof_moved")
    write_config(run, {"sources": {"orbits": "local"}, "sentinel1": {"orbit_files": str(moved)}})
    plan = run_snakemake(repo, run, "--dry-run", sigma0)
    assert plan.returncode == 0 and job_set(plan) == set(), "a moved folder of the same files reruns nothing"
