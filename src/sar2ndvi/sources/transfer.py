"""Verified, atomic copies of downloaded products."""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import time
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from sar2ndvi.io import atomic_path

log = logging.getLogger(__name__)

#: HTTP statuses worth retrying: timeouts, rate limits and server-side failures.
RETRYABLE_STATUS = frozenset({408, 425, 429, 500, 502, 503, 504})


class VerificationError(RuntimeError):
    """A transferred file failed its size, checksum or archive check."""


class TransferError(RuntimeError):
    """A download failed for good (refused, or still failing after its retries)."""


class _RetryableTransferError(RuntimeError):
    """A transient failure: a dropped connection, a timeout, a rate limit or a server error."""


class HttpSession(Protocol):
    """What a download needs of a session: :class:`requests.Session` and ``asf_search.ASFSession`` qualify."""

    def get(self, url: str, **kwargs): ...

    def head(self, url: str, **kwargs): ...


def md5sum(path: str | Path, chunk: int = 1 << 20) -> str:
    """Hex MD5 of a file."""
    digest = hashlib.md5(usedforsecurity=False)
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(chunk), b""):
            digest.update(block)
    return digest.hexdigest()


def verify_file(
    path: str | Path, expected_bytes: int | None, expected_md5: str | None, test_archive: bool = True
) -> None:
    """Check size, MD5 and (for .zip, unless ``test_archive`` is False) archive integrity.

    ``test_archive=False`` suits a zip about to be unpacked: unpacking checks the CRC of every member
    it reads (:func:`sar2ndvi.sentinel1.layout.unpack_product`), and testing all of them first would
    inflate the archive twice.

    Raises:
        VerificationError: naming the file and what did not match.
    """
    path = Path(path)
    size = path.stat().st_size
    if expected_bytes is not None and size != int(expected_bytes):
        raise VerificationError(f"{path}: {size} bytes, the archive lists {int(expected_bytes)}")
    if expected_md5:
        actual = md5sum(path)
        if actual.lower() != str(expected_md5).lower():
            raise VerificationError(f"{path}: MD5 {actual} does not match the archive's {expected_md5}")
    if test_archive and path.suffix.lower() == ".zip":
        try:
            with zipfile.ZipFile(path) as archive:
                bad = archive.testzip()
        except zipfile.BadZipFile as err:
            raise VerificationError(f"{path}: not a valid zip ({err})") from err
        if bad is not None:
            raise VerificationError(f"{path}: zip member {bad} is corrupt")


def fetch_with_retries(
    transfer: Callable[[Path], None],
    dest: str | Path,
    expected_bytes: int | None,
    expected_md5: str | None,
    attempts: int = 3,
    backoff_s: float = 2.0,
) -> None:
    """Run ``transfer(tmp_path)`` until the result verifies, then move it onto ``dest``.

    Every attempt writes to a temporary file beside ``dest``; nothing is left behind on failure.

    Raises:
        VerificationError: after ``attempts`` failed verifications, with what to do.
    """
    dest = Path(dest)
    last: Exception | None = None
    for attempt in range(1, attempts + 1):
        try:
            with atomic_path(dest) as tmp:
                transfer(tmp)
                verify_file(tmp, expected_bytes, expected_md5)
            return
        except (VerificationError, OSError) as err:
            last = err
            log.warning("attempt %d/%d for %s failed: %s", attempt, attempts, dest.name, err)
            if attempt < attempts:
                time.sleep(backoff_s * 2 ** (attempt - 1))
    raise VerificationError(
        f"{dest}: {attempts} attempts failed verification (last: {last}); the source file may be corrupt: "
        "delete it at the source or download it again"
    )


def copy_verified(source: str | Path, dest: str | Path, expected_bytes: int | None, expected_md5: str | None) -> None:
    """Copy a local file to ``dest`` with verification and retries."""
    source = Path(source)
    if not source.exists():
        raise FileNotFoundError(f"{source}: listed by the search but missing; rerun the search")
    fetch_with_retries(lambda tmp: shutil.copyfile(source, tmp), dest, expected_bytes, expected_md5, backoff_s=0.1)


def _append_from(session: HttpSession, url: str, partial: Path, timeout_s: float, chunk_bytes: int) -> None:
    """Request ``url`` from the byte where ``partial`` ends and write the body onto it."""
    import requests

    offset = partial.stat().st_size if partial.exists() else 0
    headers = {"Range": f"bytes={offset}-"} if offset else {}
    try:
        with session.get(url, headers=headers, stream=True, timeout=timeout_s) as response:
            status = response.status_code
            if status == 416:
                return  # the partial file already holds every byte; verification decides
            if status in RETRYABLE_STATUS:
                raise _RetryableTransferError(f"HTTP {status} from {response.url}")
            if status in (401, 403):
                raise TransferError(
                    f"{url}: refused with HTTP {status}; check the credentials and that the account may "
                    "download this product (for ASF: accept the Sentinel EULA at https://search.asf.alaska.edu)"
                )
            if status >= 400:
                raise TransferError(f"{url}: HTTP {status}; the product may have been withdrawn: rerun the search")
            # a server that ignores Range answers 200 with the whole file: start over
            mode = "ab" if offset and status == 206 else "wb"
            with open(partial, mode) as handle:
                for block in response.iter_content(chunk_size=chunk_bytes):
                    handle.write(block)
    except (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError) as err:
        raise _RetryableTransferError(f"{type(err).__name__}: {err}") from err


def download_resumable(
    session: HttpSession,
    url: str,
    dest: str | Path,
    expected_bytes: int | None,
    expected_md5: str | None,
    attempts: int = 5,
    backoff_s: float = 10.0,
    timeout_s: float = 120.0,
    chunk_bytes: int = 8 << 20,
    validate: Callable[[Path], None] | None = None,
) -> None:
    """Download ``url`` to ``dest``, resuming, verifying and retrying.

    Bytes accumulate in ``<dest>.part``; each attempt asks only for the bytes still missing (an
    HTTP Range request), so an interrupted download, in this job or a later one, picks up where it
    stopped. The file is moved onto ``dest`` only once its size, MD5 and (for a zip) archive
    integrity check out, and ``validate(path)``, if given, raises no :class:`VerificationError` (a
    format check where the archive publishes no checksum). A file that fails verification is deleted
    and downloaded again from its
    first byte; after ``attempts`` failures nothing is left behind. Transient failures (dropped
    connections, timeouts, HTTP 408/429/5xx) wait ``backoff_s``, doubling each time.

    Raises:
        TransferError: when the server refuses the request (authorisation, a missing product) or
            every attempt failed for a transient reason; ``<dest>.part`` is kept for resuming.
        VerificationError: when every attempt produced a file that failed verification.
    """
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    partial = dest.with_name(dest.name + ".part")
    last: Exception | None = None
    for attempt in range(1, attempts + 1):
        have = partial.stat().st_size if partial.exists() else 0
        if expected_bytes is not None and have > int(expected_bytes):
            partial.unlink()
        try:
            if expected_bytes is None or have != int(expected_bytes):
                _append_from(session, url, partial, timeout_s, chunk_bytes)
            verify_file(partial, expected_bytes, expected_md5)
            if validate is not None:
                validate(partial)
        except VerificationError as err:
            partial.unlink(missing_ok=True)  # wrong bytes cannot be resumed from
            last = err
        except _RetryableTransferError as err:
            last = err
        else:
            os.replace(partial, dest)
            return
        log.warning("attempt %d/%d for %s failed: %s", attempt, attempts, dest.name, last)
        if attempt < attempts:
            time.sleep(backoff_s * 2 ** (attempt - 1))
    if isinstance(last, VerificationError):
        raise VerificationError(
            f"{dest}: {attempts} downloads from {url} failed verification (last: {last}); nothing was kept. "
            "The archive's copy may be corrupt: try again later or report the product to the archive"
        )
    kept = partial.stat().st_size if partial.exists() else 0
    raise TransferError(
        f"{dest}: {attempts} attempts to download {url} failed (last: {last}); {kept} bytes are kept in "
        f"{partial.name} and the next run resumes from them"
    )
