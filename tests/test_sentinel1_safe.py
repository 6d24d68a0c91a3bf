"""Reading real Sentinel-1 IW GRD SAFE products: manifest, annotation, calibration and noise XML."""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np
import pytest
import xarray as xr
from shapely.geometry import Point

from sar2ndvi.sentinel1.safe import SafeProduct, relative_orbit

S1B = "s1_grd_sarsen_S1B_20211223/S1B_IW_GRDH_1SDV_20211223T051122_20211223T051147_030148_039993_5371.SAFE"
MODERN = "s1_grd_annotations_pyrosar/S1A_IW_GRDH_1SDV_20210119T031653_20210119T031718_036201_043ED0_8255.zip"
LEGACY = "s1_grd_annotations_pyrosar/S1A_IW_GRDH_1SDV_20150222T170750_20150222T170815_004739_005DD8_3768.zip"


@pytest.fixture(scope="module")
def s1b(real_data) -> SafeProduct:
    return SafeProduct(real_data / S1B)


@pytest.fixture(scope="module")
def modern_safe(real_data, tmp_path_factory) -> Path:
    """The 2021 product unzipped, for xarray-sentinel (which cannot read the zip by path)."""
    tmp = tmp_path_factory.mktemp("modern")
    with zipfile.ZipFile(real_data / MODERN) as archive:
        archive.extractall(tmp)
    return next(tmp.glob("*.SAFE"))


def _xs(safe: Path, group: str) -> xr.Dataset:
    return xr.open_dataset(safe, engine="sentinel-1", group=group)


def test_product_info_comes_from_the_manifest(s1b):
    info = s1b.info
    assert (info.mission, info.mode, info.product_type) == ("S1B", "IW", "GRD")
    # the manifest lists VH, but only the VV files are in this product
    assert info.polarisations == ("VV",)
    assert info.pass_direction == "DESCENDING"
    assert info.start_time == np.datetime64("2021-12-23T05:11:22.594441", "ns")
    assert info.stop_time == np.datetime64("2021-12-23T05:11:47.593146", "ns")
    assert info.start_time.dtype == np.dtype("datetime64[ns]")
    assert info.absolute_orbit == 30148 and info.relative_orbit == 22
    assert info.ipf_version == pytest.approx(3.40)


def test_zipped_and_unzipped_products_read_the_same(real_data, modern_safe):
    zipped, folder = SafeProduct(real_data / MODERN), SafeProduct(modern_safe)
    assert zipped.info == folder.info
    assert zipped.info.polarisations == ("VV", "VH") and zipped.info.ipf_version == pytest.approx(3.31)
    assert zipped.image_info("VH") == folder.image_info("VH")
    for a, b in zip(zipped.calibration_lut("VH").values, folder.calibration_lut("VH").values, strict=True):
        np.testing.assert_array_equal(a, b)


def test_relative_orbit_follows_the_platform_offsets():
    assert relative_orbit("S1B", 30148) == 22
    assert relative_orbit("S1A", 36201) == 79  # the 2021 product (ASF lists path 79)
    assert relative_orbit("S1A", 4739) == 117
    with pytest.raises(ValueError, match="unknown Sentinel-1 platform"):
        relative_orbit("S2A", 1)


def test_footprint_is_a_lon_lat_polygon(s1b):
    footprint = s1b.footprint
    west, south, east, north = footprint.bounds
    assert (west, south, east, north) == pytest.approx((11.865704, 40.876698, 15.321935, 42.780445))
    assert footprint.contains(Point(12.5, 41.9))  # Rome


def test_image_info_is_the_annotations_image_information(s1b):
    image = s1b.image_info("VV")
    assert (image.lines, image.samples) == (16705, 26102)  # the measurement TIFF's size
    assert image.first_line_time == np.datetime64("2021-12-23T05:11:22.594441", "ns")
    assert image.last_line_time > image.first_line_time
    assert (image.last_line_time - image.first_line_time) / np.timedelta64(1, "s") == pytest.approx(
        (image.lines - 1) * image.azimuth_time_interval, abs=1e-3
    )
    assert image.range_pixel_spacing == pytest.approx(10.0)
    assert image.azimuth_pixel_spacing == pytest.approx(10.0)
    assert image.slant_range_time == pytest.approx(5.33e-3, rel=1e-2)


def test_orbit_state_vectors_match_xarray_sentinel(s1b, real_data):
    orbit = s1b.orbit("VV")
    theirs = _xs(real_data / S1B, "IW/VV/orbit")
    seconds = orbit.seconds(theirs["azimuth_time"].values)
    np.testing.assert_allclose(seconds, orbit.times, atol=1e-6)
    np.testing.assert_allclose(orbit.positions, theirs["position"].values.T, atol=1e-3)
    np.testing.assert_allclose(orbit.velocities, theirs["velocity"].values.T, atol=1e-6)


def test_geolocation_grid_matches_xarray_sentinel(s1b, real_data):
    grid = s1b.geolocation_grid("VV")
    theirs = _xs(real_data / S1B, "IW/VV/gcp")
    assert grid.line.shape == (10 * 21,)
    np.testing.assert_array_equal(grid.line.reshape(10, 21)[:, 0], theirs["line"].values)
    np.testing.assert_array_equal(grid.pixel[:21], theirs["pixel"].values)
    np.testing.assert_array_equal(grid.slant_range_time[:21], theirs["slant_range_time"].values)
    np.testing.assert_array_equal(grid.azimuth_time.reshape(10, 21)[:, 0], theirs["azimuth_time"].values)
    for ours, name in [
        (grid.latitude, "latitude"),
        (grid.longitude, "longitude"),
        (grid.height, "height"),
        (grid.incidence_angle, "incidenceAngle"),
        (grid.elevation_angle, "elevationAngle"),
    ]:
        np.testing.assert_array_equal(ours.reshape(10, 21), theirs[name].values)


def test_coordinate_conversion_records_match_xarray_sentinel(s1b, real_data):
    conv = s1b.coordinate_conversion("VV")
    theirs = _xs(real_data / S1B, "IW/VV/coordinate_conversion")
    np.testing.assert_array_equal(conv.azimuth_time, theirs["azimuth_time"].values)
    np.testing.assert_array_equal(conv.sr0, theirs["sr0"].values)
    np.testing.assert_array_equal(conv.gr0, theirs["gr0"].values)
    np.testing.assert_array_equal(conv.srgr, theirs["srgrCoefficients"].values)
    np.testing.assert_array_equal(conv.grsr, theirs["grsrCoefficients"].values)
    assert np.all(conv.gr0 == 0.0)  # GRD: ground range counts from the first pixel


def test_calibration_vectors_hold_the_four_luts(s1b, real_data):
    vectors = s1b.calibration_vectors("VV")
    theirs = _xs(real_data / S1B, "IW/VV/calibration")
    assert len(vectors.line) == 27 and all(len(p) == 654 for p in vectors.pixel)
    np.testing.assert_array_equal(vectors.line, theirs["line"].values)
    for kind in ("sigmaNought", "betaNought", "gamma", "dn"):
        ours = np.stack(vectors.lut(kind).values)
        np.testing.assert_allclose(ours, theirs[kind].values, rtol=1e-7)
    with pytest.raises(ValueError, match="unknown calibration LUT"):
        vectors.lut("sigma0")


def test_modern_noise_has_range_vectors_and_one_azimuth_block_per_subswath(s1b):
    noise = s1b.noise_luts("VV")
    assert not noise.legacy and "noise-s1b-iw-grd-vv" in noise.source
    assert len(noise.range.lines) == 27 and all(len(p) == 657 for p in noise.range.pixels)
    assert [b.swath for b in noise.azimuth] == ["IW1", "IW2", "IW3"]
    assert [(b.first_sample, b.last_sample) for b in noise.azimuth] == [
        (0, 8889),
        (8890, 17700),
        (17701, 26101),
    ]
    assert all((b.first_line, b.last_line) == (0, 16704) for b in noise.azimuth)
    assert all(len(b.lines) == len(b.values) > 1000 for b in noise.azimuth)


def test_legacy_noise_vectors_are_read_as_the_whole_noise(real_data):
    noise = SafeProduct(real_data / LEGACY).noise_luts("VH")
    assert noise.legacy and noise.azimuth == ()
    assert "noise-s1a-iw-grd-vh-20150222t170750" in noise.source
    assert len(noise.range.lines) == 27 and all(
        len(p) == len(v) for p, v in zip(noise.range.pixels, noise.range.values, strict=True)
    )
    # ESA's data: this early product (IPF 2.36) annotates noise vectors of zeros
    assert noise.all_zero


def test_a_noise_file_in_neither_format_names_the_file_and_what_to_do(real_data, tmp_path):
    with zipfile.ZipFile(real_data / LEGACY) as archive:
        archive.extractall(tmp_path)
    safe = next(tmp_path.glob("*.SAFE"))
    noise_xml = next((safe / "annotation" / "calibration").glob("noise-s1a-iw-grd-vv-*.xml"))
    noise_xml.write_text(noise_xml.read_text().replace("noiseVector", "unknownVector"))
    with pytest.raises(ValueError) as err:
        SafeProduct(safe).noise_luts("VV")
    message = str(err.value)
    assert noise_xml.name in message
    assert "neither noiseRangeVectorList (IPF ≥ 2.9) nor noiseVectorList (IPF < 2.9)" in message
    assert "download it again" in message


def test_the_thermal_noise_flag_of_the_annotation_is_read(real_data):
    assert SafeProduct(real_data / LEGACY).thermal_noise_removed("VV") is False


def test_missing_polarisation_is_named_with_the_ones_there_are(s1b):
    for reader in (s1b.measurement_path, s1b.annotation, s1b.noise_luts, s1b.calibration_vectors):
        with pytest.raises(ValueError, match=r"no VH polarisation \(it has VV\).*sentinel1\.polarisations"):
            reader("VH")


def test_missing_measurement_file_says_the_product_is_incomplete(real_data):
    product = SafeProduct(real_data / MODERN)  # its measurement folder is empty
    with pytest.raises(ValueError, match=r"VV measurement file .* is missing; the product is incomplete"):
        product.measurement_path("VV")


def test_missing_product_raises_file_not_found_with_the_path(tmp_path):
    missing = tmp_path / "S1A_IW_GRDH_1SDV_missing.zip"
    with pytest.raises(FileNotFoundError, match=r"S1A_IW_GRDH_1SDV_missing\.zip: Sentinel-1 product not found"):
        SafeProduct(missing)


def test_not_a_zip_and_not_a_safe_are_rejected(tmp_path):
    broken = tmp_path / "S1A_broken.zip"
    broken.write_bytes(b"not a zip")
    with pytest.raises(ValueError, match="not a zip file"):
        SafeProduct(broken)
    empty = tmp_path / "S1A_empty.SAFE"
    empty.mkdir()
    with pytest.raises(ValueError, match=r"no manifest\.safe inside"):
        SafeProduct(empty)


def test_a_product_that_is_not_iw_grd_is_rejected(tmp_path, real_data):
    fake = tmp_path / "S1A_EW_GRDM_1SDV.SAFE"
    (fake / "annotation").mkdir(parents=True)
    (fake / "manifest.safe").write_bytes((real_data / S1B / "manifest.safe").read_bytes())
    (fake / "annotation" / "s1a-ew-grd-hh-20211223t051122-001.xml").write_text("<product/>")
    with pytest.raises(ValueError, match="sar2ndvi reads Sentinel-1 IW GRD products only"):
        SafeProduct(fake)
