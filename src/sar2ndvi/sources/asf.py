"""Sentinel-1 IW GRD scenes from the Alaska Satellite Facility, through asf-search.

The search asks ASF (NASA's CMR) for the scenes of Kimura et al. (2023), Table 1: Sentinel-1
IW GRD high resolution, dual polarisation VV+VH, descending passes, intersecting the study box
(lon/lat degrees, EPSG:4326) within the study period, optionally restricted to relative orbits.
Downloads go through an :class:`asf_search.ASFSession` authenticated with Earthdata credentials
(:func:`sar2ndvi.sources.credentials.earthdata_credentials`) and are resumed, verified against
ASF's published size and MD5, and retried; :func:`download_product` then unpacks the zip into the
``.SAFE`` folder the σ0 step reads, checking the CRC of every member it writes.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

import asf_search
import pandas as pd
from shapely.geometry import box, shape

from sar2ndvi.sentinel1.layout import DamagedProductError, unpack_product
from sar2ndvi.sources.credentials import EarthdataCredentials, MissingCredentialsError
from sar2ndvi.sources.errors import EmptySearchError
from sar2ndvi.sources.sentinel1 import SCENE_COLUMNS, filter_scenes, parse_granule
from sar2ndvi.sources.transfer import VerificationError, download_resumable, verify_file

log = logging.getLogger(__name__)

#: The search filters of Kimura et al. (2023), Table 1, as asf-search keywords.
PAPER_FILTERS: dict[str, str] = {
    "dataset": asf_search.DATASET.SENTINEL1,
    "processingLevel": asf_search.PRODUCT_TYPE.GRD_HD,
    "beamMode": asf_search.BEAMMODE.IW,
    "polarization": asf_search.POLARIZATION.VV_VH,
}


def search_query(
    study_box: tuple[float, float, float, float],
    start: str,
    end: str,
    flight_direction: str | None,
    relative_orbits: Sequence[int] | None = None,
) -> dict:
    """The asf-search keywords for the study: the paper's filters, the box, the days and the orbits.

    Args:
        study_box: (west, south, east, north), degrees (EPSG:4326).
        start, end: first and last day (``YYYY-MM-DD``, UTC), both inclusive.
        flight_direction: ``ASCENDING``, ``DESCENDING`` or None for both.
        relative_orbits: relative orbit (track) numbers to keep, or None for all.
    """
    query = dict(PAPER_FILTERS)
    query["intersectsWith"] = box(*study_box).wkt
    query["start"] = f"{start}T00:00:00Z"
    query["end"] = f"{end}T23:59:59Z"
    if flight_direction:
        query["flightDirection"] = flight_direction.upper()
    if relative_orbits:
        query["relativeOrbit"] = [int(orbit) for orbit in relative_orbits]
    return query


def scene_table(products: Sequence[asf_search.ASFProduct]) -> tuple[pd.DataFrame, list]:
    """The scene table (:data:`SCENE_COLUMNS`) and footprints of asf-search products.

    Each ESA product name appears once; when ASF lists a name twice, the first listing is kept.
    """
    rows, footprints, seen = [], [], set()
    for product in products:
        props = product.properties
        name = props["sceneName"]
        if name in seen:
            continue
        seen.add(name)
        fields = parse_granule(name)
        rows.append(
            {
                "scene": name,
                "start": fields["start"],
                "stop": fields["stop"],
                "platform": fields["platform"],
                "relative_orbit": int(props["pathNumber"]),
                "absolute_orbit": int(props.get("orbit") or fields["absolute_orbit"]),
                "flight_direction": str(props.get("flightDirection", "")).upper(),
                "url": props["url"],
                "bytes": int(props["bytes"]) if props.get("bytes") is not None else None,
                "md5": props.get("md5sum"),
            }
        )
        footprints.append(shape(product.geometry) if product.geometry else None)
    return pd.DataFrame(rows, columns=SCENE_COLUMNS), footprints


def search_asf(
    study_box: tuple[float, float, float, float],
    start: str,
    end: str,
    flight_direction: str | None,
    relative_orbits: Sequence[int] | None = None,
    session: asf_search.ASFSession | None = None,
    report_errors: bool = False,
) -> pd.DataFrame:
    """Sentinel-1 IW GRD_HD VV+VH scenes over ``study_box`` on days ``start``..``end``, sorted by time.

    Searching needs no credentials. ``session`` carries the HTTP connection (a fresh
    :class:`asf_search.ASFSession` when None). ``report_errors`` lets asf-search send the
    options of a failed search to ASF's error-report service (off: compute nodes often cannot
    reach it, and the failure to report would hide the search's own error).

    Raises:
        EmptySearchError: if ASF lists no scene, naming the filters to relax.
        asf_search.ASFSearchError: if the search could not be completed (after asf-search's own retries).
    """
    query = search_query(study_box, start, end, flight_direction, relative_orbits)
    opts = asf_search.ASFSearchOptions(session=session or asf_search.ASFSession())
    reporting = asf_search.REPORT_ERRORS
    asf_search.REPORT_ERRORS = report_errors
    try:
        results = asf_search.geo_search(opts=opts, **query)
    finally:
        asf_search.REPORT_ERRORS = reporting
    results.raise_if_incomplete()
    table, footprints = scene_table(results)
    table = filter_scenes(table, start, end, flight_direction, footprints, study_box, relative_orbits)
    if table.empty:
        orbits = f", relative orbits {list(relative_orbits)}" if relative_orbits else ""
        raise EmptySearchError(
            f"ASF lists no Sentinel-1 IW GRD_HD VV+VH {flight_direction or 'any-direction'} scene over "
            f"{tuple(study_box)} between {start} and {end}{orbits}; check areas.pretrain, study.start/end, "
            "sentinel1.flight_direction and sentinel1.relative_orbits"
        )
    log.info("ASF: %d scenes between %s and %s", len(table), start, end)
    return table


def earthdata_session(
    credentials: EarthdataCredentials, session: asf_search.ASFSession | None = None
) -> asf_search.ASFSession:
    """An :class:`asf_search.ASFSession` logged in to Earthdata with a token or a user name and password.

    Raises:
        MissingCredentialsError: if Earthdata refuses the credentials, saying what to check.
    """
    session = session or asf_search.ASFSession()
    try:
        if credentials.token:
            session.auth_with_token(credentials.token)
        else:
            session.auth_with_creds(credentials.username, credentials.password)
    except asf_search.ASFAuthenticationError as err:
        which = "EARTHDATA_TOKEN" if credentials.token else "the Earthdata user name and password"
        raise MissingCredentialsError(
            f"Earthdata refused {which}: renew the token at https://urs.earthdata.nasa.gov/profile or "
            f"fix the password ({type(err).__name__})"
        ) from None
    return session


def download_scene(
    record: dict,
    dest: str | Path,
    session: asf_search.ASFSession,
    attempts: int = 5,
    backoff_s: float = 10.0,
    timeout_s: float = 120.0,
) -> None:
    """Download one scene's product zip, as listed by :func:`search_asf`, to ``dest``.

    Verified against the listing's ``bytes`` and ``md5`` and the zip's integrity; resumed and
    retried as :func:`sar2ndvi.sources.transfer.download_resumable` describes.
    """
    bytes_, md5 = record.get("bytes"), record.get("md5")
    download_resumable(
        session,
        str(record["url"]),
        dest,
        None if bytes_ is None or pd.isna(bytes_) else int(bytes_),
        None if md5 is None or (isinstance(md5, float) and pd.isna(md5)) else str(md5),
        attempts=attempts,
        backoff_s=backoff_s,
        timeout_s=timeout_s,
    )


def download_product(
    record: dict,
    dest: str | Path,
    session: asf_search.ASFSession,
    polarisations: Sequence[str] = ("VV", "VH"),
    attempts: int = 5,
    backoff_s: float = 10.0,
    timeout_s: float = 120.0,
) -> Path:
    """Download one scene's zip beside the ``.SAFE`` folder ``dest``, unpack it there, remove the zip.

    The zip is ``<dest without .SAFE>.zip``, downloaded (resumed from ``….zip.part``) and verified by
    :func:`download_scene`; one left verified by a run killed while unpacking is used again.
    :func:`sar2ndvi.sentinel1.layout.unpack_product` then writes ``dest``: the files the σ0 step reads,
    for ``polarisations``, each member's CRC checked. The zip is removed once unpacked, and when a
    member fails its CRC (the next run downloads it again); it is kept when the product lacks a
    polarisation asked for, so that the run after a change of ``sentinel1.polarisations`` reuses it.

    Raises:
        TransferError, VerificationError: as :func:`download_scene`.
        sar2ndvi.sentinel1.layout.DamagedProductError: naming the member that failed its CRC.
    """
    dest = Path(dest)
    archive = dest.with_name(dest.name.removesuffix(".SAFE") + ".zip")
    bytes_, md5 = record.get("bytes"), record.get("md5")
    if archive.exists():
        try:
            verify_file(
                archive,
                None if bytes_ is None or pd.isna(bytes_) else int(bytes_),
                None if md5 is None or (isinstance(md5, float) and pd.isna(md5)) else str(md5),
                test_archive=False,
            )
            log.info("%s: using the verified zip of an earlier run", archive.name)
        except VerificationError:
            archive.unlink()
    if not archive.exists():
        download_scene(record, archive, session, attempts=attempts, backoff_s=backoff_s, timeout_s=timeout_s)
    try:
        unpack_product(archive, dest, polarisations)
    except DamagedProductError:
        archive.unlink(missing_ok=True)
        raise
    archive.unlink()
    return dest


__all__ = [
    "PAPER_FILTERS",
    "EmptySearchError",
    "download_product",
    "download_scene",
    "earthdata_session",
    "scene_table",
    "search_asf",
    "search_query",
]
