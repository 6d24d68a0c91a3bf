"""The ``sar2ndvi`` command answers an expected problem with one line: the file, what is wrong, what to do."""

from __future__ import annotations

import shutil
import zipfile

import numpy as np
import test_demo_store

from sar2ndvi.cli import in_command_terms, main

S1B = "s1_grd_sarsen_S1B_20211223/S1B_IW_GRDH_1SDV_20211223T051122_20211223T051147_030148_039993_5371.SAFE"
tiny_store = test_demo_store.tiny_store  # the shared tiny world


def run(capsys, *argv: str) -> tuple[int, str]:
    code = main(list(argv))
    err = capsys.readouterr().err.strip()
    return code, err


def assert_one_line(err: str) -> None:
    lines = [line for line in err.splitlines() if "error:" in line]
    assert len(lines) == 1 and "Traceback" not in err, err


def test_a_missing_product_is_named(capsys, tmp_path):
    code, err = run(capsys, "sigma0", str(tmp_path / "nowhere.zip"), "--window", "0", "0", "8", "8", "--out", "o.tif")
    assert code == 2
    assert_one_line(err)
    assert "nowhere.zip: Sentinel-1 product not found" in err and "download the product again" in err


def test_a_file_that_is_not_a_product_says_to_fetch_it_again(capsys, tmp_path):
    broken = tmp_path / "S1A_broken.zip"
    broken.write_bytes(b"PK\x03\x04 truncated")
    code, err = run(capsys, "sigma0", str(broken), "--window", "0", "0", "8", "8", "--out", str(tmp_path / "o.tif"))
    assert code == 2
    assert_one_line(err)
    assert "S1A_broken.zip: not a zip file" in err and "fetch it again" in err
    assert not (tmp_path / "o.tif").exists()


def test_a_missing_polarisation_is_remedied_with_the_commands_flag(capsys, real_data, tmp_path):
    safe = tmp_path / "S1B.SAFE"
    shutil.copytree(real_data / S1B, safe, ignore=shutil.ignore_patterns("*.tiff"))
    argv = ["sigma0", str(safe), "--window", "0", "0", "8", "8", "--polarisations", "VH", "--out", "o.tif"]
    code, err = run(capsys, *argv)
    assert code == 2
    assert_one_line(err)
    assert "no VH polarisation (it has VV)" in err and "--polarisations" in err
    assert "sentinel1." not in err, "the command's user has no configuration file"


def test_an_area_the_product_does_not_cover_is_an_error_not_an_empty_file(capsys, tiny_store, tmp_path):
    (product,) = sorted((tiny_store / "sentinel1").glob("*.zip"))[:1]
    out = tmp_path / "far.tif"
    code, err = run(capsys, "sigma0", str(product), "--bbox", "139.70", "35.60", "139.72", "35.62", "--out", str(out))
    assert code == 2
    assert_one_line(err)
    assert product.name in err and "does not cover --bbox 139.7 35.6 139.72 35.62" in err
    assert not out.exists()


def test_library_remedies_are_translated_into_flags():
    assert in_command_terms("turn border-noise removal off (sentinel1.border_noise: never)").endswith(
        "(--keep-border-noise)"
    )
    assert in_command_terms("x\n  turn noise removal off") == "x use --keep-noise"


def test_legacy_products_are_processed_by_the_command(capsys, real_data, tmp_path):
    """IPF 2.36: legacy noise format; no refusal, no flag needed."""
    with zipfile.ZipFile(
        real_data
        / "s1_grd_annotations_pyrosar"
        / "S1A_IW_GRDH_1SDV_20150222T170750_20150222T170815_004739_005DD8_3768.zip"
    ) as archive:
        archive.extractall(tmp_path)  # fmt: skip
    (safe,) = tmp_path.glob("*.SAFE")
    import rasterio

    (safe / "measurement").mkdir(exist_ok=True)
    for pol in ("vv", "vh"):
        (annotation,) = (safe / "annotation").glob(f"s1a-iw-grd-{pol}-*.xml")
        profile = dict(driver="GTiff", width=25368, height=16685, count=1, dtype="uint16", tiled=True)
        with rasterio.open(safe / "measurement" / f"{annotation.stem}.tiff", "w", **profile, sparse_ok=True) as dst:
            dst.write(np.full((8, 8), 400, np.uint16), 1, window=rasterio.windows.Window(9000, 8000, 8, 8))
    out = tmp_path / "window.tif"
    code, err = run(capsys, "sigma0", str(safe), "--window", "8000", "9000", "8", "8", "--out", str(out))
    assert code == 0, err
    with rasterio.open(out) as src:
        assert np.isfinite(src.read()).all()


def test_in_the_workflow_a_product_whose_geolocation_misses_the_grid_is_refused_as_inconsistent(tiny_store, tmp_path):
    """The search keeps a product by its footprint; a geolocation grid elsewhere means a damaged product."""
    import pytest

    from sar2ndvi.grid import grid_from_lonlat_box
    from sar2ndvi.settings import defaults, sigma0_settings
    from sar2ndvi.steps.sentinel1 import write_sigma0

    (product,) = sorted((tiny_store / "sentinel1").glob("*.zip"))[:1]
    far = grid_from_lonlat_box("pretrain", 139.70, 35.60, 139.72, 35.62, crs="EPSG:32654", resolution=10)
    settings = sigma0_settings(defaults("sentinel1"))
    with pytest.raises(
        ValueError, match=r"geolocation grid of its annotation does not reach the study grid 'pretrain'"
    ):
        write_sigma0(product, far, np.zeros(far.shape), tmp_path / "sigma0.tif", settings)
    assert not list(tmp_path.iterdir())
