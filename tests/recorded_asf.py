"""A recorded ASF archive: CMR search, Earthdata login and datapool downloads served from a JSON file.

Workflow tests run the real asf-search client in other processes (Snakemake and its jobs), so the
recorded responses cannot be mounted on a session object as the in-process tests do. Instead the
archive is a JSON file named by ``SAR2NDVI_RECORDED_ASF``, and ``recorded_site/sitecustomize.py``
mounts :func:`recorded_asf_transport` on every ``requests`` session of each process started with
:func:`recorded_asf_environment`. The file is read again for every request, so a test that rewrites
it between two runs is answered from the new version ("new scenes arrive").

Archive keys: ``token`` (the one Earthdata token accepted), ``requests_log`` (a file that gets one
JSON line per request: method, url, range, status) and ``granules`` (scene, relative_orbit,
flight_direction, footprint as [lon, lat] pairs, bytes, md5, and path: the product zip on disk).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import parse_qs

from recorded_http import RecordedTransport, Reply, cmr_page, cmr_s1_grd_granule, json_reply

ARCHIVE_VARIABLE = "SAR2NDVI_RECORDED_ASF"
RECORDED_SITE = Path(__file__).resolve().parent / "recorded_site"
SIGNED_URL = "https://sentinel1.asf.alaska.edu/signed/{scene}.zip?Expires=1&Signature=abc"


def write_recorded_asf_archive(
    path: str | Path, catalog_json: Path, scenes: list[str], token: str, requests_log: Path
) -> None:
    """Write the archive at ``path``: the named scenes of an ASF-style catalogue (the demo world's).

    Raises:
        KeyError: naming a scene that the catalogue does not list.
    """
    from shapely import wkt  # imported here: the processes that only serve the archive never need it

    catalog_json = Path(catalog_json).resolve()
    records = {record["sceneName"]: record for record in json.loads(catalog_json.read_text())}
    missing = [scene for scene in scenes if scene not in records]
    if missing:
        raise KeyError(f"{catalog_json} lists no scene {missing}")
    granules = []
    for scene in scenes:
        record = records[scene]
        granules.append(
            {
                "scene": scene,
                "relative_orbit": int(record["pathNumber"]),
                "flight_direction": record["flightDirection"],
                "footprint": [list(point) for point in wkt.loads(record["wkt"]).exterior.coords],
                "bytes": int(record["bytes"]),
                "md5": record["md5sum"],
                "path": str(catalog_json.parent / record["url"]),
            }
        )
    archive = {"token": token, "requests_log": str(Path(requests_log).resolve()), "granules": granules}
    # Written whole and renamed, so that a process searching meanwhile never reads half a file.
    partial = Path(f"{path}.partial")
    partial.write_text(json.dumps(archive, indent=1))
    partial.replace(path)


def recorded_asf_environment(archive: str | Path, base: Mapping[str, str] | None = None) -> dict[str, str]:
    """``base`` (default: this process's environment) with every Python process answered by ``archive``."""
    env = dict(os.environ if base is None else base)
    env[ARCHIVE_VARIABLE] = str(Path(archive).resolve())
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(RECORDED_SITE), env.get("PYTHONPATH", "")) if p)
    return env


def read_requests_log(requests_log: Path) -> list[dict]:
    """The requests served so far, oldest first (an absent log: none)."""
    if not Path(requests_log).is_file():
        return []
    return [json.loads(line) for line in Path(requests_log).read_text().splitlines() if line]


class LoggedTransport(RecordedTransport):
    """A :class:`RecordedTransport` that appends each request to a JSON-lines file shared by processes."""

    def __init__(self, requests_log: str | Path) -> None:
        super().__init__()
        self.requests_log = Path(requests_log)

    def send(self, request, **kwargs):
        try:
            response = super().send(request, **kwargs)
        except AssertionError:
            self._log(request, None)  # an unrecorded request: logged too, so a run that swallows it still shows
            raise
        self._log(request, response.status_code)
        return response

    def _log(self, request, status: int | None) -> None:
        line = {"method": request.method, "url": request.url, "range": request.headers.get("Range"), "status": status}
        # One write of one line in append mode, so concurrent jobs do not interleave their lines.
        with open(self.requests_log, "a") as log:
            log.write(json.dumps(line) + "\n")


def granule_umm(granule: dict) -> dict:
    footprint = [tuple(point) for point in granule["footprint"]]
    return cmr_s1_grd_granule(
        granule["scene"],
        granule["relative_orbit"],
        granule["flight_direction"],
        footprint,
        granule["bytes"],
        granule["md5"],
    )


def recorded_asf_transport(archive: str | Path) -> LoggedTransport:
    """A transport answering CMR, Earthdata and ASF's datapool from the archive file."""
    archive = Path(archive)

    def current() -> dict:
        return json.loads(archive.read_text())

    def granules_by_scene() -> dict[str, dict]:
        return {granule["scene"]: granule for granule in current()["granules"]}

    def search(request) -> Reply:
        # Every granule on one page: asf-search stops paging after a page shorter than it asked for.
        return cmr_page([granule_umm(g) for g in current()["granules"]])

    def login(request) -> Reply:
        body = request.body.decode() if isinstance(request.body, bytes) else request.body or ""
        if parse_qs(body).get("token") == [current()["token"]]:
            return json_reply({})
        return json_reply({"error": "invalid_token"}, 401)

    def datapool(request) -> Reply:
        if request.headers.get("Authorization") != f"Bearer {current()['token']}":
            return Reply(401, b"Unauthorized")
        scene = re.search(r"/([^/?]+)\.zip", request.url).group(1)
        if scene not in granules_by_scene():
            return Reply(404, b"Not Found")
        return Reply(307, b"", {"Location": SIGNED_URL.format(scene=scene)})

    def signed_file(request) -> Reply:
        scene = re.search(r"/signed/([^/?]+)\.zip", request.url).group(1)
        granule = granules_by_scene().get(scene)
        if granule is None:
            return Reply(404, b"Not Found")
        data = Path(granule["path"]).read_bytes()
        start = int(request.headers.get("Range", "bytes=0-")[6:].rstrip("-"))
        return Reply(206 if start else 200, data[start:], {"Content-Length": str(len(data) - start)})

    transport = LoggedTransport(current()["requests_log"])
    transport.route("POST", r"^https://cmr\.earthdata\.nasa\.gov/search/granules\.umm_json", search)
    transport.route("POST", r"^https://urs\.earthdata\.nasa\.gov/oauth/tokens/user", login)
    transport.route("GET", r"^https://datapool\.asf\.alaska\.edu/.+\.zip$", datapool)
    transport.route("GET", r"^https://sentinel1\.asf\.alaska\.edu/signed/", signed_file)
    return transport
