"""Sentinel-1 σ0 on real ESA annotation: calibration, thermal noise, geometry, geocoding."""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import numpy as np
import pytest
import rasterio
import xarray as xr
from rasterio.windows import Window

from sar2ndvi.grid import AreaGrid
from sar2ndvi.sentinel1.calibration import (
    LegacyNoiseError,
    azimuth_noise,
    interpolate_lut,
    sigma0_from_dn,
    sigma0_window,
)
from sar2ndvi.sentinel1.geocode import geocode_sigma0, radar_coordinates
from sar2ndvi.sentinel1.safe import SafeProduct

S1B = "s1_grd_sarsen_S1B_20211223/S1B_IW_GRDH_1SDV_20211223T051122_20211223T051147_030148_039993_5371.SAFE"
MODERN = "s1_grd_annotations_pyrosar/S1A_IW_GRDH_1SDV_20210119T031653_20210119T031718_036201_043ED0_8255.zip"
LEGACY = "s1_grd_annotations_pyrosar/S1A_IW_GRDH_1SDV_20150222T170750_20150222T170815_004739_005DD8_3768.zip"
WINDOW = (7000, 9000, 64, 96)  # row, col, rows, cols: crosses the IW1/IW2 noise block boundary at 8890


@pytest.fixture(scope="module")
def s1b(real_data, tmp_path_factory) -> Path:
    """The real S1B product with a measurement TIFF holding known DN in ``WINDOW`` (0 elsewhere)."""
    source = real_data / S1B
    target = tmp_path_factory.mktemp("s1b") / source.name
    shutil.copytree(source, target, ignore=shutil.ignore_patterns("*.tiff"))
    tiff = next((source / "measurement").glob("*.tiff"))
    with rasterio.open(tiff) as src:
        height, width = src.height, src.width
    dn = np.random.default_rng(0).integers(20, 400, WINDOW[2:]).astype(np.uint16)
    with rasterio.open(
        target / "measurement" / tiff.name,
        "w",
        driver="GTiff",
        width=width,
        height=height,
        count=1,
        dtype="uint16",
        tiled=True,
        blockxsize=512,
        blockysize=512,
        compress="zstd",
        sparse_ok=True,
    ) as dst:
        row, col, rows, cols = WINDOW
        dst.write(dn, 1, window=Window(col, row, cols, rows))
    return target


@pytest.fixture(scope="module")
def known_dn() -> np.ndarray:
    return np.random.default_rng(0).integers(20, 400, WINDOW[2:]).astype(np.uint16)


def _open_xs(safe: Path, group: str) -> xr.Dataset:
    """The independent reader: xarray-sentinel's xarray backend."""
    return xr.open_dataset(safe, engine="sentinel-1", group=group)


def _unzip(path: Path, tmp: Path) -> Path:
    with zipfile.ZipFile(path) as archive:
        archive.extractall(tmp)
    return next(tmp.glob("*.SAFE"))


def test_calibration_lut_matches_xarray_sentinel(s1b):
    product = SafeProduct(s1b)
    rows = np.arange(WINDOW[0], WINDOW[0] + WINDOW[2])
    cols = np.arange(WINDOW[1], WINDOW[1] + WINDOW[3])
    ours = interpolate_lut(product.calibration_lut("VV"), rows, cols)
    reference = _open_xs(s1b, group="IW/VV/calibration")["sigmaNought"]
    theirs = reference.interp(line=rows, pixel=cols).values
    assert np.max(np.abs(ours / theirs - 1)) <= 1e-6


def test_sigma0_without_noise_removal_is_dn_squared_over_a_squared(s1b, known_dn):
    sigma0 = sigma0_window(s1b, "VV", WINDOW, noise_removal=False)
    reference = _open_xs(s1b, group="IW/VV/calibration")["sigmaNought"]
    rows = np.arange(WINDOW[0], WINDOW[0] + WINDOW[2])
    cols = np.arange(WINDOW[1], WINDOW[1] + WINDOW[3])
    a = reference.interp(line=rows, pixel=cols).values
    expected = known_dn.astype(float) ** 2 / a**2
    assert np.max(np.abs(sigma0 / expected - 1)) <= 1e-6


def _esa_noise(safe: Path, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """Noise power per ESA's thermal-denoising note: range LUT (xarray-sentinel, bilinear) × azimuth LUT
    of the block that holds each pixel, linear in line."""
    from lxml import etree

    noise_range = _open_xs(safe, group="IW/VV/noise_range")["noiseRangeLut"]
    # xarray-sentinel indexes range vectors by azimuth time; put them on their lines
    lines = noise_range["line"].values
    pixels = noise_range["pixel"].values
    table = np.stack([np.interp(cols, pixels[np.isfinite(v)], v[np.isfinite(v)]) for v in noise_range.values])
    rng_noise = np.stack([np.interp(rows, lines, table[:, j]) for j in range(len(cols))], axis=1)
    az = np.ones((len(rows), len(cols)))
    xml = etree.parse(str(next((safe / "annotation" / "calibration").glob("noise-*vv*.xml"))))
    for block in xml.iterfind("noiseAzimuthVectorList/noiseAzimuthVector"):
        first_line, last_line = int(block.findtext("firstAzimuthLine")), int(block.findtext("lastAzimuthLine"))
        first_sample, last_sample = int(block.findtext("firstRangeSample")), int(block.findtext("lastRangeSample"))
        block_lines = np.array(block.findtext("line").split(), float)
        values = np.array(block.findtext("noiseAzimuthLut").split(), float)
        for i, r in enumerate(rows):
            if first_line <= r <= last_line:
                sel = (cols >= first_sample) & (cols <= last_sample)
                az[i, sel] = np.interp(r, block_lines, values)
    return rng_noise * az


def test_noise_removed_sigma0_matches_esas_formula(s1b, known_dn):
    rows = np.arange(WINDOW[0], WINDOW[0] + WINDOW[2])
    cols = np.arange(WINDOW[1], WINDOW[1] + WINDOW[3])
    a = _open_xs(s1b, group="IW/VV/calibration")["sigmaNought"].interp(line=rows, pixel=cols)
    expected = (known_dn.astype(float) ** 2 - _esa_noise(s1b, rows, cols)) / a.values**2
    sigma0 = sigma0_window(s1b, "VV", WINDOW, noise_removal=True, negative="keep")
    relative = np.abs(sigma0 - expected) / np.maximum(np.abs(expected), 1e-3)
    assert np.max(relative) <= 2e-3


def test_azimuth_noise_blocks_split_the_swath(s1b):
    noise = SafeProduct(s1b).noise_luts("VV")
    assert noise.azimuth[0].last_sample == 8889
    values = azimuth_noise(noise, np.array([7000.0]), np.array([8889, 8890]))
    assert values[0, 0] != values[0, 1]


def test_modern_dual_pol_product_reads_both_polarisations(real_data, tmp_path):
    product = SafeProduct(real_data / MODERN)
    assert product.polarisations == ["VV", "VH"] and product.ipf_version == pytest.approx(3.31)
    safe = _unzip(real_data / MODERN, tmp_path)
    for pol in ("VV", "VH"):
        rows, cols = np.array([100.0, 5000.0]), np.array([10.0, 12000.0])
        ours = interpolate_lut(product.calibration_lut(pol), rows, cols)
        theirs = _open_xs(safe, group=f"IW/{pol}/calibration")["sigmaNought"]
        assert np.max(np.abs(ours / theirs.interp(line=rows, pixel=cols).values - 1)) <= 1e-6


def test_legacy_noise_format_is_refused_with_advice(real_data):
    product = SafeProduct(real_data / LEGACY)
    assert product.noise_luts("VV").legacy
    from sar2ndvi.sentinel1.calibration import check_noise

    with pytest.raises(LegacyNoiseError, match=r"pre-IPF-2\.9"):
        check_noise(product, "VV", allow_legacy_noise=False)
    allowed = check_noise(product, "VV", allow_legacy_noise=True)
    assert allowed.azimuth == []


def test_negative_rule_is_applied_after_noise_subtraction():
    dn = np.array([[0, 10, 100]], np.uint16)
    cal = np.full((1, 3), 500.0)
    noise = np.full((1, 3), 400.0)
    clipped = sigma0_from_dn(dn, cal, noise, "clip", floor=1e-5)
    assert np.isnan(clipped[0, 0]) and clipped[0, 1] == pytest.approx(1e-5)
    assert np.isnan(sigma0_from_dn(dn, cal, noise, "nan")[0, 1])
    assert sigma0_from_dn(dn, cal, noise, "keep")[0, 1] < 0
    assert sigma0_from_dn(dn, cal, noise, "keep")[0, 2] == pytest.approx((100**2 - 400) / 500**2)


def test_forward_geometry_reproduces_esas_geolocation_grid(real_data):
    """Orbit interpolation, zero-Doppler and srgr conversion land on ESA's own tie points."""
    product = SafeProduct(real_data / S1B)
    grid = product.geolocation_grid("VV")
    line, pixel = radar_coordinates(product, "VV", grid.longitude, grid.latitude, grid.height)
    assert np.max(np.abs(line - grid.line)) < 0.5
    assert np.max(np.abs(pixel - grid.pixel)) < 1.0


def test_geocoding_a_constant_scene_gives_the_constant(s1b, known_dn):
    """A flat area inside the DN window: geocoded σ0 equals the window's σ0 level, with or without terrain."""
    product = SafeProduct(s1b)
    gcp = product.geolocation_grid("VV")
    # a 60 m × 60 m area around the centre of the known-DN window, located with the forward model
    from pyproj import Transformer
    from scipy.interpolate import griddata

    target = np.array([WINDOW[0] + WINDOW[2] / 2, WINDOW[1] + WINDOW[3] / 2])
    lon = griddata((gcp.line, gcp.pixel), gcp.longitude, [target])[0]
    lat = griddata((gcp.line, gcp.pixel), gcp.latitude, [target])[0]
    # refine the tie-point guess with the forward model (Newton steps, finite-difference Jacobian)
    for _ in range(4):
        here = np.array(
            radar_coordinates(
                product, "VV", np.array([lon, lon + 1e-4, lon]), np.array([lat, lat, lat + 1e-4]), np.zeros(3)
            )
        )
        jacobian = np.c_[here[:, 1] - here[:, 0], here[:, 2] - here[:, 0]] / 1e-4
        dlon, dlat = np.linalg.solve(jacobian, target - here[:, 0])
        lon, lat = lon + dlon, lat + dlat
    x, y = Transformer.from_crs("EPSG:4326", "EPSG:32633", always_xy=True).transform(lon, lat)
    grid = AreaGrid("t", "EPSG:32633", 10.0, float(np.floor(x / 10) * 10 - 30), float(np.floor(y / 10) * 10 + 30), 6, 6)
    flat = np.zeros(grid.shape)
    with_terrain = geocode_sigma0(s1b, grid, flat, ("VV",), noise_removal=False)
    without = geocode_sigma0(s1b, grid, flat, ("VV",), noise_removal=False, terrain_correction=False)
    window_sigma0 = sigma0_window(s1b, "VV", WINDOW, noise_removal=False)
    assert np.isfinite(with_terrain.sigma0).all()
    np.testing.assert_allclose(with_terrain.sigma0, without.sigma0, rtol=1e-5)
    # averaging ~4 speckle-free random DN per output pixel keeps σ0 within the window's range
    assert window_sigma0.min() <= with_terrain.sigma0.min() and with_terrain.sigma0.max() <= window_sigma0.max()
    assert with_terrain.sigma0.mean() == pytest.approx(window_sigma0.mean(), rel=0.35)


def test_missing_polarisation_and_product_get_clear_errors(real_data, tmp_path):
    product = SafeProduct(real_data / S1B)
    with pytest.raises(ValueError, match="no VH polarisation"):
        product.measurement_path("VH")
    with pytest.raises(FileNotFoundError, match="not found"):
        SafeProduct(tmp_path / "S1A_missing.zip")
