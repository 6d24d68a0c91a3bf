"""Sentinel-1 products as the archives ship them, unpacked once into the .SAFE folder that σ0 reads.

Each layout (a zip of tiled deflate TIFFs stored, of ESA's plain TIFFs stored or deflated, and the
COG product) unpacks to a folder whose σ0 equals that of the zip read in place; a damaged zip member
stops the unpack, naming it, and leaves nothing; only the configured polarisations are unpacked.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import struct
import zipfile
from pathlib import Path

import numpy as np
import pytest
import rasterio
from test_demo_store import TINY
from test_sources_asf import SCENE_EARLY, asf_session, logged_in, serve_product  # noqa: F401  (fixtures)

from sar2ndvi.demo import DemoSpec, World
from sar2ndvi.demo import sentinel1 as s1
from sar2ndvi.sentinel1.calibration import sigma0_window
from sar2ndvi.sentinel1.layout import DamagedProductError, is_cog_product, product_name, unpack_product
from sar2ndvi.sentinel1.safe import SafeProduct, pol_file_pattern
from sar2ndvi.sources.asf import download_product
from sar2ndvi.sources.sentinel1 import fetch_scene, parse_granule
from sar2ndvi.sources.transfer import VerificationError, md5sum

LAYOUTS = ("zip_compact", "zip_stored", "zip_deflated", "cog")
TIFF_COMPRESSION = {"zip_compact": "deflate", "zip_stored": None, "zip_deflated": None, "cog": "zstd"}


@pytest.fixture(scope="module")
def products(tmp_path_factory) -> dict[str, Path]:
    """The same demo acquisition written in every layout: {layout: zip}."""
    world = World(DemoSpec.from_config(TINY))
    track = s1.track_geometry(world, 46, 38.0)
    scene = s1.scene_list(world)[0]
    out = tmp_path_factory.mktemp("layouts")
    written = {}
    for layout in LAYOUTS:
        folder = out / layout
        folder.mkdir()
        written[layout] = s1.write_product(world, scene, track, folder, np.random.default_rng(0), layout=layout)
    return written


def safe_of(zip_path: Path, folder: Path) -> Path:
    return folder / "products" / f"{product_name(zip_path)}.SAFE"


def files_in(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())


def damage_member(zip_path: Path, pattern: str) -> str:
    """Flip one byte in the middle of the data of the member matching ``pattern``; return its name."""
    with zipfile.ZipFile(zip_path) as archive:
        info = next(i for i in archive.infolist() if re.search(pattern, i.filename))
    data = bytearray(zip_path.read_bytes())
    name_length, extra_length = struct.unpack("<HH", data[info.header_offset + 26 : info.header_offset + 30])
    start = info.header_offset + 30 + name_length + extra_length
    data[start + info.compress_size // 2] ^= 0xFF
    zip_path.write_bytes(bytes(data))
    return info.filename


# Every layout reads the same once unpacked ---------------------------------------------------------


@pytest.mark.parametrize("layout", LAYOUTS)
def test_every_layout_unpacks_to_a_folder_whose_sigma0_equals_the_zip_read_in_place(products, layout, tmp_path):
    zipped = products[layout]
    safe = unpack_product(zipped, safe_of(zipped, tmp_path), ["VV", "VH"])

    product = SafeProduct(safe)
    lines, samples = product.image_info("VV").lines, product.image_info("VV").samples
    window = (7, 5, lines - 20, samples - 11)
    for pol in ("VV", "VH"):
        unpacked = sigma0_window(product, pol, window)
        in_place = sigma0_window(SafeProduct(zipped), pol, window)
        assert np.isfinite(unpacked).mean() > 0.9
        np.testing.assert_array_equal(unpacked, in_place)


@pytest.mark.parametrize("layout", LAYOUTS)
def test_the_folder_holds_the_members_own_bytes_and_nothing_else(products, layout, tmp_path):
    zipped = products[layout]
    safe = unpack_product(zipped, safe_of(zipped, tmp_path), ["VV", "VH"])

    with zipfile.ZipFile(zipped) as archive:
        members = {n.split("/", 1)[1]: archive.read(n) for n in archive.namelist() if not n.endswith("/")}
    assert files_in(safe) == sorted(members)  # the demo products hold only what σ0 reads
    for name in files_in(safe):
        assert (safe / name).read_bytes() == members[name], name
    for tiff in safe.glob("measurement/*.tiff"):
        with rasterio.open(tiff) as src:
            assert (src.compression.name if src.compression else None) == TIFF_COMPRESSION[layout]


def test_the_zip_stores_or_deflates_the_measurement_as_the_layout_says(products):
    methods = {}
    for layout, zipped in products.items():
        with zipfile.ZipFile(zipped) as archive:
            methods[layout] = {i.compress_type for i in archive.infolist() if i.filename.endswith(".tiff")}
    assert methods == {
        "zip_compact": {zipfile.ZIP_STORED},
        "zip_stored": {zipfile.ZIP_STORED},
        "zip_deflated": {zipfile.ZIP_DEFLATED},
        "cog": {zipfile.ZIP_STORED},
    }


def test_a_safe_folder_is_unpacked_by_copying_only_what_sigma0_reads(products, tmp_path):
    with zipfile.ZipFile(products["zip_stored"]) as archive:
        archive.extractall(tmp_path / "given")
    (given,) = (tmp_path / "given").glob("*.SAFE")
    (given / "preview").mkdir()
    (given / "preview" / "quick-look.png").write_bytes(b"\x89PNG")
    (given / "annotation" / "rfi").mkdir()
    (given / "annotation" / "rfi" / "rfi-s1a-iw-grd-vv-x-001.xml").write_text("<rfi/>")

    safe = unpack_product(given, tmp_path / "products" / given.name, ["VV", "VH"])

    assert files_in(safe) == [n for n in files_in(given) if not n.startswith(("preview/", "annotation/rfi/"))]


def test_unpacking_again_replaces_the_earlier_folder(products, tmp_path):
    zipped = products["zip_compact"]
    dest = safe_of(zipped, tmp_path)
    unpack_product(zipped, dest, ["VV", "VH"])
    (dest / "stray.txt").write_text("left by hand")
    unpack_product(zipped, dest, ["VV"])
    assert SafeProduct(dest).polarisations == ["VV"] and not (dest / "stray.txt").exists()
    assert [p.name for p in dest.parent.iterdir()] == [dest.name]


# A damaged product is refused, and leaves nothing ----------------------------------------------------


@pytest.mark.parametrize("layout", ["zip_stored", "zip_deflated"])
def test_a_member_failing_its_crc_is_refused_naming_the_product_and_nothing_is_left(products, layout, tmp_path):
    zipped = tmp_path / products[layout].name
    shutil.copyfile(products[layout], zipped)
    member = damage_member(zipped, r"measurement/.*-vh-")
    dest = safe_of(zipped, tmp_path)

    with pytest.raises(DamagedProductError) as err:
        unpack_product(zipped, dest, ["VV", "VH"])

    message = str(err.value)
    assert str(zipped) in message and member in message and "download it again" in message
    assert list(dest.parent.iterdir()) == []


def test_a_truncated_zip_is_refused_and_nothing_is_left(products, tmp_path):
    zipped = tmp_path / products["zip_compact"].name
    zipped.write_bytes(products["zip_compact"].read_bytes()[:50_000])
    dest = safe_of(zipped, tmp_path)
    with pytest.raises(DamagedProductError, match=r"not a readable zip .*download it again"):
        unpack_product(zipped, dest, ["VV"])
    assert list(dest.parent.iterdir()) == []


def test_the_leftovers_of_a_killed_unpack_are_cleared_by_the_next(products, tmp_path):
    zipped = products["zip_compact"]
    dest = safe_of(zipped, tmp_path)
    killed = dest.parent / f".{dest.name}.unpacking-k1ll3d"
    (killed / "measurement").mkdir(parents=True)
    (killed / "measurement" / "half.tiff").write_bytes(b"II*\x00")
    unpack_product(zipped, dest, ["VV"])
    assert [p.name for p in dest.parent.iterdir()] == [dest.name]


# Only the configured polarisations ----------------------------------------------------------------------


def test_only_the_configured_polarisations_are_unpacked(products, tmp_path):
    zipped = products["zip_deflated"]
    safe = unpack_product(zipped, safe_of(zipped, tmp_path), ["vv"])

    names = files_in(safe)
    assert len(names) == 5 and "manifest.safe" in names
    assert all("-vv-" in n for n in names if n != "manifest.safe")
    product = SafeProduct(safe)
    assert product.polarisations == ["VV"]
    with pytest.raises(ValueError, match=r"no VH polarisation \(it has VV\).*sentinel1\.polarisations"):
        product.measurement_path("VH")


def test_a_polarisation_the_product_lacks_is_refused_before_anything_is_written(products, tmp_path):
    zipped = products["zip_compact"]
    dest = safe_of(zipped, tmp_path)
    with pytest.raises(ValueError, match=r"no HH polarisation \(it has VV, VH\); set sentinel1\.polarisations"):
        unpack_product(zipped, dest, ["HH"])
    assert list(dest.parent.iterdir()) == []


# The COG product's names ------------------------------------------------------------------------------


def test_the_cog_products_names_are_recognised(products):
    cog = products["cog"]
    assert cog.name.endswith("_COG.zip") and is_cog_product(cog) and not is_cog_product(products["zip_stored"])
    assert product_name(cog) == product_name(products["zip_stored"]) + "_COG"
    stem = "s1a-iw-grd-vv-20210301t154757-20210301t154822-036807-0453d8-001"
    for kind, name in (
        ("measurement", f"measurement/{stem}-cog.tiff"),
        ("annotation", f"annotation/{stem}-cog.xml"),
        ("calibration", f"annotation/calibration/calibration-{stem}-cog.xml"),
        ("noise", f"annotation/calibration/noise-{stem}-cog.xml"),
    ):
        assert re.search(pol_file_pattern(kind, "VV"), name), name
        assert re.search(pol_file_pattern(kind, "VV"), name.replace("-cog.", ".")), name
        assert not re.search(pol_file_pattern(kind, "VH"), name), name

    product = SafeProduct(cog)
    assert product.polarisations == ["VV", "VH"]
    assert product.measurement_path("VH").endswith("-002-cog.tiff")
    assert "_COG.SAFE/" in product.measurement_path("VH")


def test_cog_product_names_are_granules_of_their_scene():
    name = "S1A_IW_GRDH_1SDV_20210301T154757_20210301T154822_036807_0453D8_BEA1_COG"
    for given in (f"{name}.zip", f"{name}.SAFE.zip", f"{name}.SAFE"):
        fields = parse_granule(given)
        assert fields["absolute_orbit"] == 36807 and fields["uid"] == "BEA1"
        assert product_name(given) == name


# The sources unpack once, at download -------------------------------------------------------------------


def test_the_local_source_unpacks_straight_from_the_listed_zip_after_checking_it(products, tmp_path):
    zipped = products["zip_deflated"]
    record = {"scene": product_name(zipped), "url": str(zipped), "bytes": zipped.stat().st_size, "md5": md5sum(zipped)}
    dest = safe_of(zipped, tmp_path)

    with pytest.raises(VerificationError, match="MD5"):
        fetch_scene({**record, "md5": "0" * 32}, dest, ["VV", "VH"])
    assert not dest.parent.exists()

    assert fetch_scene(record, dest, ["VV", "VH"]) == dest
    assert [p.name for p in dest.parent.iterdir()] == [dest.name], "no copy of the zip is made"
    assert SafeProduct(dest).polarisations == ["VV", "VH"]


def test_the_local_source_unpacks_a_safe_folder(products, tmp_path):
    with zipfile.ZipFile(products["cog"]) as archive:
        archive.extractall(tmp_path / "given")
    (given,) = (tmp_path / "given").glob("*_COG.SAFE")
    record = {"scene": product_name(given), "url": str(given), "bytes": None, "md5": None}
    dest = fetch_scene(record, tmp_path / "products" / given.name, ["VH"])
    assert SafeProduct(dest).measurement_path("VH").endswith("-cog.tiff")


def test_an_asf_download_is_unpacked_and_its_zip_removed(logged_in, products, tmp_path):  # noqa: F811
    session, transport = logged_in
    body = products["zip_deflated"].read_bytes()
    serve_product(transport, body, drops=[len(body) // 2])
    record = {"scene": SCENE_EARLY, "url": f"https://datapool.asf.alaska.edu/GRD_HD/SA/{SCENE_EARLY}.zip"}
    record.update(bytes=len(body), md5=hashlib.md5(body).hexdigest())
    dest = tmp_path / "products" / f"{SCENE_EARLY}.SAFE"

    download_product(record, dest, session, ["VV", "VH"], backoff_s=0)

    assert [p.name for p in dest.parent.iterdir()] == [dest.name]
    unpacked = SafeProduct(dest)
    window = (10, 10, 100, 100)
    np.testing.assert_array_equal(
        sigma0_window(unpacked, "VH", window), sigma0_window(SafeProduct(products["zip_deflated"]), "VH", window)
    )


def test_an_asf_download_with_a_damaged_member_leaves_nothing(logged_in, products, tmp_path):  # noqa: F811
    session, transport = logged_in
    damaged = tmp_path / "damaged.zip"
    shutil.copyfile(products["zip_stored"], damaged)
    member = damage_member(damaged, r"measurement/.*-vv-")
    body = damaged.read_bytes()
    serve_product(transport, body)
    record = {"scene": SCENE_EARLY, "url": f"https://datapool.asf.alaska.edu/GRD_HD/SA/{SCENE_EARLY}.zip"}
    record.update(bytes=len(body), md5=hashlib.md5(body).hexdigest())  # the archive's own copy is damaged
    dest = tmp_path / "products" / f"{SCENE_EARLY}.SAFE"

    with pytest.raises(DamagedProductError, match=re.escape(member)):
        download_product(record, dest, session, ["VV", "VH"], backoff_s=0)
    assert list(dest.parent.iterdir()) == []
