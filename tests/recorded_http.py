"""Recorded HTTP exchanges for the live-source clients, served at the `requests` transport.

The clients run unchanged: asf-search's session gets a transport adapter that answers from
recorded responses instead of the network, and records every request it was sent.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field

import requests
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    headers: dict = field(default_factory=dict)
    stream: io.IOBase | None = None  # a body that fails part-way, in place of ``body``


Handler = Callable[[requests.PreparedRequest], Reply]


class RecordedTransport(BaseAdapter):
    """A `requests` adapter answering from handlers keyed by (method, URL regex)."""

    def __init__(self) -> None:
        super().__init__()
        self.routes: list[tuple[str, re.Pattern, Handler]] = []
        self.sent: list[requests.PreparedRequest] = []

    def route(self, method: str, url_pattern: str, handler: Handler) -> None:
        self.routes.append((method, re.compile(url_pattern), handler))

    def send(self, request, stream=False, timeout=None, verify=True, cert=None, proxies=None):
        self.sent.append(request)
        for method, pattern, handler in self.routes:
            if request.method == method and pattern.search(request.url):
                reply = handler(request)
                break
        else:
            raise AssertionError(f"unrecorded request: {request.method} {request.url}")
        response = requests.Response()
        response.status_code = reply.status
        response.headers = CaseInsensitiveDict(reply.headers)
        response.raw = reply.stream or io.BytesIO(reply.body)
        response.url = request.url
        response.request = request
        response.reason = "recorded"
        response.connection = self
        return response

    def close(self) -> None:
        pass


def mounted(session: requests.Session) -> RecordedTransport:
    transport = RecordedTransport()
    session.mount("https://", transport)
    session.mount("http://", transport)
    return transport


def json_reply(data, status: int = 200, headers: dict | None = None) -> Reply:
    return Reply(status, json.dumps(data).encode(), {"Content-Type": "application/json", **(headers or {})})


def cmr_s1_grd_granule(
    scene: str,
    relative_orbit: int,
    flight_direction: str,
    footprint: list[tuple[float, float]],
    size_bytes: int,
    md5: str,
) -> dict:
    """One Sentinel-1 GRD_HD granule as CMR's ``granules.umm_json`` lists it for ASF (UMM-G)."""
    platform = scene[:3]
    start, stop = scene.split("_")[4], scene.split("_")[5]
    iso = lambda s: f"{s[:4]}-{s[4:6]}-{s[6:8]}T{s[9:11]}:{s[11:13]}:{s[13:15]}.000Z"  # noqa: E731
    url = f"https://datapool.asf.alaska.edu/GRD_HD/S{platform[2]}/{scene}.zip"

    def attribute(name: str, value) -> dict:
        return {"Name": name, "Values": [str(value)]}

    return {
        "meta": {"concept-id": f"G{abs(hash(scene)) % 10**10}-ASF", "native-id": f"{scene}-GRD_HD"},
        "umm": {
            "GranuleUR": f"{scene}-GRD_HD",
            "CollectionReference": {"ShortName": f"SENTINEL-1{platform[2]}_DP_GRD_HIGH", "Version": "1"},
            "TemporalExtent": {"RangeDateTime": {"BeginningDateTime": iso(start), "EndingDateTime": iso(stop)}},
            "SpatialExtent": {
                "HorizontalSpatialDomain": {
                    "Geometry": {
                        "GPolygons": [{"Boundary": {"Points": [{"Longitude": x, "Latitude": y} for x, y in footprint]}}]
                    }
                }
            },
            "OrbitCalculatedSpatialDomains": [{"OrbitNumber": int(scene.split("_")[6])}],
            "Platforms": [
                {"ShortName": f"SENTINEL-1{platform[2]}", "Instruments": [{"ShortName": "SENTINEL-1 C-SAR"}]}
            ],
            "DataGranule": {
                "Identifiers": [{"IdentifierType": "ProducerGranuleId", "Identifier": scene}],
                "ArchiveAndDistributionInformation": [{"Name": f"{scene}.zip", "Size": size_bytes, "SizeUnit": "B"}],
            },
            "AdditionalAttributes": [
                attribute("GROUP_ID", f"{platform}_IW_{scene.split('_')[7]}"),
                attribute("MD5SUM", md5),
                attribute("BYTES", size_bytes),
                attribute("ASCENDING_DESCENDING", flight_direction),
                attribute("PATH_NUMBER", relative_orbit),
                attribute("PROCESSING_TYPE", "GRD_HD"),
                attribute("BEAM_MODE", "IW"),
                attribute("BEAM_MODE_TYPE", "IW"),
                attribute("POLARIZATION", "VV+VH"),
                attribute("ASF_PLATFORM", f"Sentinel-1{platform[2]}"),
                attribute("FRAME_NUMBER", 110),
                attribute("CENTER_LAT", sum(y for _, y in footprint[:-1]) / (len(footprint) - 1)),
                attribute("CENTER_LON", sum(x for x, _ in footprint[:-1]) / (len(footprint) - 1)),
            ],
            "RelatedUrls": [{"URL": url, "Type": "GET DATA"}],
        },
    }


def cmr_page(granules: list[dict]) -> Reply:
    return json_reply({"hits": len(granules), "took": 12, "items": granules})


class RecordedEarthEngine:
    """An ``httplib2``-style transport answering Earth Engine's REST API from recorded responses.

    It serves the API description and algorithm list that ship with earthengine-api itself
    (``ee/tests``), OAuth token exchanges, and ``value:compute`` and ``image:computePixels``
    calls through handlers given by the test. Every request is kept in ``sent`` as
    (method, uri, decoded JSON body or None).
    """

    def __init__(self, compute: Callable[[dict], object], compute_pixels: Callable[[dict], bytes | Reply]):
        import ee

        package_tests = __import__("pathlib").Path(ee.__file__).parent / "tests"
        self.discovery = (package_tests / "cloud_api_discovery_document.json").read_bytes()
        self.algorithms = (package_tests / "algorithms.json").read_bytes()
        self.compute = compute
        self.compute_pixels = compute_pixels
        self.sent: list[tuple[str, str, dict | None]] = []

    def request(self, uri, method="GET", body=None, headers=None, redirections=5, connection_type=None):
        import httplib2

        decoded = json.loads(body) if body and body[:1] in (b"{", "{") else None
        self.sent.append((method, uri, decoded))
        if "$discovery/rest" in uri:
            reply = Reply(200, self.discovery)
        elif uri.startswith("https://oauth2.googleapis.com/token"):
            reply = json_reply({"access_token": "recorded-access-token", "expires_in": 3600, "token_type": "Bearer"})
        elif "/algorithms" in uri:
            reply = Reply(200, self.algorithms)
        elif uri.split("?")[0].endswith("/value:compute"):
            result = self.compute(decoded)
            reply = result if isinstance(result, Reply) else json_reply({"result": result})
        elif uri.split("?")[0].endswith("/image:computePixels"):
            result = self.compute_pixels(decoded)
            reply = result if isinstance(result, Reply) else Reply(200, result, {"Content-Type": "image/tiff"})
        else:
            raise AssertionError(f"unrecorded Earth Engine request: {method} {uri}")
        content_type = reply.headers.get("Content-Type", "application/json")
        return httplib2.Response({"status": reply.status, "content-type": content_type}), reply.body
