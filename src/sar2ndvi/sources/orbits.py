"""Sentinel-1 orbit files (ESA ``.EOF``) for one scene: from ASF's orbit service, or from a local folder.

The σ0 step geocodes with the orbit state vectors in the product annotation by default
(``sources.orbits: annotation``). The other sources put one orbit file per scene beside it:

* ``asf``: the precise orbit (POEORB, about 5 cm; published about 20 days after acquisition)
  covering the scene, else the restituted one (RESORB, about 10 cm; published within about 3 h
  and kept by ASF for 90 days), fetched with ASF's ``s1-orbits`` client. It sends one request,
  ``GET https://s1-orbits.asf.alaska.edu/scene/<scene>``. The service picks the file whose
  validity spans the scene's start and stop and redirects to its public S3 copy (a POEORB file is
  a few MB, a RESORB file about 0.6 MB). No credentials are needed.
* ``local``: the covering file of a folder of POEORB/RESORB files the user downloaded
  (:func:`sar2ndvi.sentinel1.orbit_file.find_orbit_file`; POEORB preferred).

Either way the file is checked before it is kept: it must parse as an Earth Explorer orbit file of
the scene's satellite, and its state vectors must span the scene's start to stop (UTC). It is
written atomically, so an interrupted or refused fetch leaves nothing at the destination.
"""

from __future__ import annotations

import importlib
import logging
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import requests
from lxml import etree

from sar2ndvi.io import atomic_path
from sar2ndvi.sentinel1.geometry import Orbit
from sar2ndvi.sentinel1.orbit_file import find_orbit_file, read_orbit_file
from sar2ndvi.sources.sentinel1 import parse_granule
from sar2ndvi.sources.transfer import RETRYABLE_STATUS, TransferError, VerificationError

log = logging.getLogger(__name__)

#: Values of ``sources.orbits``: the annotation's own state vectors, a local folder, or ASF's service.
ORBIT_SOURCES = ("annotation", "local", "asf")

#: The service that ``s1-orbits`` asks, scene by scene.
ORBIT_SERVICE = "https://s1-orbits.asf.alaska.edu/scene"


class OrbitNotAvailableError(RuntimeError):
    """The orbit service has no orbit file for the scene, or refuses its name; retrying at once will not help."""


class OrbitFileError(VerificationError):
    """An orbit file that does not parse, is of another satellite, or does not cover the scene."""


@dataclass(frozen=True)
class SceneTime:
    """Satellite (``S1A`` …) and acquisition start and stop (UTC, whole seconds) of a scene."""

    mission: str
    start: np.datetime64
    stop: np.datetime64


@dataclass(frozen=True)
class OrbitFile:
    """An orbit file kept for a scene: where it is, ESA's name of it and its kind (``POEORB``, ``RESORB``)."""

    path: Path
    name: str
    kind: str | None


def scene_time(scene: str) -> SceneTime:
    """Satellite, start and stop of an IW GRD scene, from its name.

    Raises:
        ValueError: if ``scene`` is not an IW GRD product name.
    """
    fields = parse_granule(scene)
    return SceneTime(fields["platform"], np.datetime64(fields["start"], "s"), np.datetime64(fields["stop"], "s"))


def orbit_kind(name: str) -> str | None:
    """``POEORB`` or ``RESORB`` from an ESA orbit file name, None for any other name."""
    for kind in ("POEORB", "RESORB"):
        if f"_AUX_{kind}_" in name:
            return kind
    return None


def check_orbit_file(path: str | Path, scene: str, name: str | None = None) -> Orbit:
    """The state vectors of ``path`` around ``scene``, once the file is known to be fit for it.

    ``name`` is ESA's name of the file (default: the file's own name); it must start with the
    scene's satellite (``S1A_`` …). The state vectors (UTC) must span the scene's start to stop.

    Raises:
        OrbitFileError: naming the scene and the file, when it does not parse as an orbit file, is
            of another satellite, or does not cover the scene.
    """
    path = Path(path)
    name = name or path.name
    when = scene_time(scene)
    if not name.startswith(f"{when.mission}_"):
        raise OrbitFileError(
            f"{scene}: the orbit file {name} is not of {when.mission}; an orbit file of the scene's own "
            "satellite is needed"
        )
    try:
        orbit = read_orbit_file(path, when.start, when.stop)
    except (etree.XMLSyntaxError, ValueError) as err:
        raise OrbitFileError(
            f"{scene}: the orbit file {name} is unreadable or does not cover the scene ({err}); it was not kept"
        ) from err
    first = orbit.epoch + np.timedelta64(round(float(orbit.times[0]) * 1e9), "ns")
    last = orbit.epoch + np.timedelta64(round(float(orbit.times[-1]) * 1e9), "ns")
    if first > when.start or last < when.stop:
        raise OrbitFileError(
            f"{scene}: the state vectors of {name} run from {first} to {last} UTC, short of the scene's "
            f"{when.start} to {when.stop}; the file does not cover the scene and was not kept"
        )
    return orbit


def local_orbit_name(scene: str, folder: str | Path) -> str | None:
    """The name of the file that :func:`copy_local_orbit` takes from ``folder`` for ``scene``; None: none covers it."""
    when = scene_time(scene)
    try:
        return find_orbit_file(folder, when.mission, when.start, when.stop).name
    except FileNotFoundError:
        return None


def copy_local_orbit(scene: str, folder: str | Path, dest: str | Path) -> OrbitFile:
    """Copy the orbit file of ``folder`` that covers ``scene`` to ``dest``, checked, atomically.

    A precise (POEORB) file is preferred over a restituted one (RESORB), then the most recent.

    Raises:
        FileNotFoundError: naming the scene and the folder, when no file of the folder covers it.
        OrbitFileError: when the chosen file does not parse or its state vectors do not cover the scene.
    """
    when = scene_time(scene)
    try:
        source = find_orbit_file(folder, when.mission, when.start, when.stop)
    except FileNotFoundError as err:
        raise FileNotFoundError(f"{scene}: {err}") from err
    check_orbit_file(source, scene)
    with atomic_path(dest) as tmp:
        shutil.copyfile(source, tmp)
    log.info("%s: orbit file %s copied from %s", scene, source.name, folder)
    return OrbitFile(Path(dest), source.name, orbit_kind(source.name))


class _RequestsWithTimeout:
    """The ``requests`` module as ``s1-orbits`` sees it, with a timeout on its GET (it sets none)."""

    def __init__(self, timeout_s: float) -> None:
        self._timeout_s = timeout_s

    def get(self, url: str, **kwargs) -> requests.Response:
        kwargs.setdefault("timeout", self._timeout_s)
        return requests.get(url, **kwargs)

    def __getattr__(self, name: str):
        return getattr(requests, name)


@contextmanager
def _client_timeout(timeout_s: float) -> Iterator[None]:
    """Give the ``s1-orbits`` client's requests a timeout of ``timeout_s`` (connect, and between bytes)."""
    client = importlib.import_module("s1_orbits.s1_orbits")
    original = getattr(client, "requests", None)
    if original is not requests:  # another client version: leave it as it is
        yield
        return
    client.requests = _RequestsWithTimeout(timeout_s)
    try:
        yield
    finally:
        client.requests = original


def _not_available(scene: str) -> OrbitNotAvailableError:
    return OrbitNotAvailableError(
        f"no precise (POEORB) or restituted (RESORB) orbit file for {scene} at ASF ({ORBIT_SERVICE}) yet: "
        "RESORB appears about 3 h after acquisition and is kept for 90 days, POEORB about 20 days after "
        "acquisition; retry later, or use sources.orbits: annotation (the product's own orbit)"
    )


def fetch_orbit(
    scene: str,
    dest: str | Path,
    attempts: int = 5,
    backoff_s: float = 10.0,
    timeout_s: float = 120.0,
) -> OrbitFile:
    """Fetch the orbit file of ``scene`` from ASF to ``dest``: POEORB if there is one, else RESORB.

    Each attempt downloads into a temporary folder beside ``dest``; the file is checked with
    :func:`check_orbit_file` and then moved onto ``dest``, so nothing is left there on failure.
    Transient failures (connection errors, ``timeout_s`` seconds without an answer or data, HTTP
    408/429/5xx from the service or from S3) are retried ``attempts`` times in all, waiting
    ``backoff_s`` seconds, doubling each time.

    Raises:
        OrbitNotAvailableError: when ASF has no orbit file covering the scene (HTTP 404) or refuses
            its name (HTTP 400); not retried.
        OrbitFileError: when the file served does not parse or does not cover the scene; not retried.
        TransferError: when the service refuses the request otherwise, or every attempt failed for
            a transient reason.
    """
    import s1_orbits

    scene_time(scene)  # a name that is not a scene fails here, before any request
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    last: Exception | None = None
    for attempt in range(1, attempts + 1):
        with tempfile.TemporaryDirectory(prefix=f".{dest.name}.", dir=dest.parent) as folder:
            try:
                with _client_timeout(timeout_s):
                    fetched = s1_orbits.fetch_for_scene(scene, folder)
            except s1_orbits.OrbitNotFoundError:
                raise _not_available(scene) from None
            except s1_orbits.InvalidSceneError:
                raise OrbitNotAvailableError(
                    f"{scene}: ASF's orbit service ({ORBIT_SERVICE}) does not take it for a Sentinel-1 scene "
                    "name; check the scene name, or use sources.orbits: annotation"
                ) from None
            except requests.HTTPError as err:
                status = err.response.status_code if err.response is not None else None
                if status not in RETRYABLE_STATUS:
                    raise TransferError(
                        f"{scene}: the orbit file request was refused with HTTP {status} ({err}); "
                        "retry later, or use sources.orbits: annotation"
                    ) from err
                last = err
            except (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError) as err:
                last = err
            else:
                check_orbit_file(fetched, scene)
                os.replace(fetched, dest)
                kind = orbit_kind(fetched.name)
                log.info("%s: orbit file %s (%s) fetched from ASF", scene, fetched.name, kind or "unknown kind")
                if kind == "RESORB":
                    log.warning(
                        "%s: only a restituted orbit (RESORB) is published yet; the precise one (POEORB) "
                        "follows about 20 days after acquisition (delete %s then to fetch it)",
                        scene,
                        dest,
                    )
                return OrbitFile(dest, fetched.name, kind)
        log.warning("orbit attempt %d/%d for %s failed: %s", attempt, attempts, scene, last)
        if attempt < attempts:
            time.sleep(backoff_s * 2 ** (attempt - 1))
    raise TransferError(
        f"{scene}: {attempts} attempts to fetch its orbit file from {ORBIT_SERVICE} failed (last: {last}); "
        "nothing was written. Retry later (downloads.attempts, downloads.backoff_s, downloads.timeout_s), "
        "or use sources.orbits: annotation"
    )


__all__ = [
    "ORBIT_SERVICE",
    "ORBIT_SOURCES",
    "OrbitFile",
    "OrbitFileError",
    "OrbitNotAvailableError",
    "SceneTime",
    "check_orbit_file",
    "copy_local_orbit",
    "fetch_orbit",
    "local_orbit_name",
    "orbit_kind",
    "scene_time",
]
