"""Verified, atomic copies of downloaded products."""

from __future__ import annotations

import hashlib
import logging
import shutil
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

from sar2ndvi.io import atomic_path

log = logging.getLogger(__name__)


class VerificationError(RuntimeError):
    """A transferred file failed its size, checksum or archive check."""


def md5sum(path: str | Path, chunk: int = 1 << 20) -> str:
    """Hex MD5 of a file."""
    digest = hashlib.md5(usedforsecurity=False)
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(chunk), b""):
            digest.update(block)
    return digest.hexdigest()


def verify_file(path: str | Path, expected_bytes: int | None, expected_md5: str | None) -> None:
    """Check size, MD5 and (for .zip) archive integrity.

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
    if path.suffix.lower() == ".zip":
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
