"""Unpacking a Sentinel-1 IW GRD product once, into a ``.SAFE`` folder of what the σ0 step reads.

Archives ship GRD products as zips of a SAFE folder in three forms: ESA's measurement GeoTIFFs
stored in the zip, the same TIFFs deflated by the zip, and the Cloud-Optimized GeoTIFF products of
the Copernicus Data Space Ecosystem (``<name>_COG.zip`` of ``<name>_COG.SAFE``, ZSTD-compressed
tiled measurement ``…-cog.tiff``). Read in place through GDAL's ``/vsizip/``, a deflated TIFF is
inflated from its start for every window; unpacked, every form reads its windows directly.

:func:`unpack_product` writes a folder holding only ``manifest.safe`` and, for each polarisation
asked for, the annotation, calibration and noise XML and the measurement TIFF. Every file is the
member's own bytes (a deflated member inflated, a stored one or a COG copied), so the manifest's
checksums still describe them. The folder appears whole or not at all.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import zipfile
import zlib
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from sar2ndvi.io import current_umask
from sar2ndvi.sentinel1.safe import POLARISATIONS, pol_file_pattern

#: The files each polarisation needs, in the order they are unpacked.
POL_FILE_KINDS = ("annotation", "calibration", "noise", "measurement")
_CHUNK = 8 << 20


class DamagedProductError(ValueError):
    """A product's zip cannot be read back: a member fails its CRC, or its data is truncated or corrupt."""


def product_name(path: str | Path) -> str:
    """The product's name from a zip or SAFE path: ``<name>.zip``, ``<name>.SAFE.zip`` or ``<name>.SAFE``.

    COG products keep their ``_COG`` suffix (``S1A_…_2626_COG``), as their SAFE folder does.
    """
    return Path(path).name.removesuffix(".zip").removesuffix(".SAFE")


def is_cog_product(path: str | Path) -> bool:
    """Whether ``path`` names a COG product (``…_COG.zip``, ``…_COG.SAFE.zip`` or ``…_COG.SAFE``)."""
    return product_name(path).endswith("_COG")


def _normalised(polarisations: Iterable[str]) -> list[str]:
    wanted = {str(pol).upper() for pol in polarisations}
    unknown = sorted(wanted - set(POLARISATIONS))
    if unknown or not wanted:
        raise ValueError(
            f"polarisations {sorted(wanted) or '[]'}: give one or more of {', '.join(POLARISATIONS)} "
            "(sentinel1.polarisations)"
        )
    return [pol for pol in POLARISATIONS if pol in wanted]


def select_files(source: str | Path, names: Sequence[str], polarisations: Iterable[str]) -> dict[str, str]:
    """The files of a product to unpack: {name as listed: path inside the SAFE folder}.

    Args:
        source: the product, for messages.
        names: its files as listed: zip members (``<name>.SAFE/annotation/…``) or paths from the folder.
        polarisations: e.g. ("VV", "VH"); their annotation, calibration, noise and measurement files
            are kept, with ``manifest.safe``.

    Raises:
        ValueError: naming the product, if it has no manifest, lacks a polarisation asked for, or lacks
            one of that polarisation's files.
    """
    manifests = sorted((n for n in names if n == "manifest.safe" or n.endswith("/manifest.safe")), key=len)
    if not manifests:
        raise ValueError(
            f"{source}: no manifest.safe inside; not a Sentinel-1 SAFE product (give the .zip or the .SAFE folder)"
        )
    root = manifests[0].removesuffix("manifest.safe")
    inside = {n[len(root) :]: n for n in names if n.startswith(root)}
    present = [pol for pol in POLARISATIONS if any(re.match(pol_file_pattern("annotation", pol), p) for p in inside)]
    chosen = {inside["manifest.safe"]: "manifest.safe"}
    for pol in _normalised(polarisations):
        if pol not in present:
            raise ValueError(
                f"{source}: no {pol} polarisation (it has {', '.join(present) or 'none'}); "
                "set sentinel1.polarisations to what the products hold"
            )
        for kind in POL_FILE_KINDS:
            hits = sorted(p for p in inside if re.match(pol_file_pattern(kind, pol), p))
            if not hits:
                raise ValueError(
                    f"{source}: the {pol} {kind} file is missing; the product is incomplete, download it again"
                )
            chosen[inside[hits[0]]] = hits[0]
    return chosen


def _extract_member(source: Path, member: str, out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    try:
        # each member through its own handle: zlib inflates outside the GIL, so the measurement
        # TIFFs of several polarisations are inflated at once
        with zipfile.ZipFile(source) as archive, archive.open(member) as src, open(out, "wb") as dst:
            # reading a member to its end checks its CRC-32; a stored member is copied byte for byte
            shutil.copyfileobj(src, dst, _CHUNK)
    except (zipfile.BadZipFile, zlib.error, EOFError) as err:
        reason = "fails its CRC-32 check" if "CRC" in str(err) else f"cannot be read ({err})"
        raise DamagedProductError(
            f"{source}: zip member {member} {reason}; the product is damaged, download it again"
        ) from err


def _extract_zip(source: Path, target: Path, polarisations: Iterable[str]) -> None:
    try:
        with zipfile.ZipFile(source) as archive:
            names = [n for n in archive.namelist() if not n.endswith("/")]
    except zipfile.BadZipFile as err:
        raise DamagedProductError(
            f"{source}: not a readable zip ({err}); the download is incomplete or damaged, download it again"
        ) from err
    members = select_files(source, names, polarisations)
    with ThreadPoolExecutor(max(1, min(len(members), os.cpu_count() or 1))) as pool:
        # list() re-raises the first member's error
        list(pool.map(lambda item: _extract_member(source, item[0], target / item[1]), members.items()))


def _copy_folder(source: Path, target: Path, polarisations: Iterable[str]) -> None:
    names = [p.relative_to(source).as_posix() for p in sorted(source.rglob("*")) if p.is_file()]
    for name, relative in select_files(source, names, polarisations).items():
        out = target / relative
        out.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source / name, out)


def _clear_leftovers(dest: Path) -> None:
    """Remove temporary folders of ``dest`` left by an unpack that was killed."""
    for stale in dest.parent.glob(f".{dest.name}.*"):
        if stale.is_dir():
            shutil.rmtree(stale, ignore_errors=True)


def unpack_product(source: str | Path, dest: str | Path, polarisations: Iterable[str] = ("VV", "VH")) -> Path:
    """Unpack a GRD product (zip or ``.SAFE`` folder) into the folder ``dest`` (``<name>.SAFE``).

    ``dest`` receives ``manifest.safe`` and, per polarisation, the annotation, calibration and noise XML
    and the measurement TIFF, under their own names (ESA's or the COG product's); nothing else. The
    files are written into a temporary folder beside ``dest`` that is renamed onto it once complete,
    replacing an earlier ``dest``; if anything fails, nothing is left, and an earlier ``dest`` stays.

    Args:
        source: the product's ``.zip`` (any of ESA's, ASF's or the COG forms) or ``.SAFE`` folder.
        dest: the folder to write.
        polarisations: the polarisations to keep, e.g. ("VV", "VH").

    Returns:
        ``dest``.

    Raises:
        FileNotFoundError: if ``source`` does not exist.
        DamagedProductError: naming the product and the member, if a member fails its CRC or cannot be
            inflated, or the zip cannot be read; download the product again.
        ValueError: naming the product, if it lacks the manifest, a polarisation or one of its files.
    """
    source, dest = Path(source), Path(dest)
    if not source.exists():
        raise FileNotFoundError(f"{source}: Sentinel-1 product not found; check the path or download it again")
    dest.parent.mkdir(parents=True, exist_ok=True)
    _clear_leftovers(dest)
    tmp = Path(tempfile.mkdtemp(prefix=f".{dest.name}.unpacking-", dir=dest.parent))
    try:
        if source.is_dir():
            _copy_folder(source, tmp, polarisations)
        else:
            _extract_zip(source, tmp, polarisations)
        os.chmod(tmp, 0o777 & ~current_umask())  # mkdtemp makes the folder private
        if dest.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{dest.name}.replaced-", dir=dest.parent))
            os.replace(dest, old / dest.name)
            os.replace(tmp, dest)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, dest)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return dest


__all__ = [
    "POL_FILE_KINDS",
    "DamagedProductError",
    "is_cog_product",
    "product_name",
    "select_files",
    "unpack_product",
]
