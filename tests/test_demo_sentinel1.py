"""Demo Sentinel-1 products: real SAFE format, self-consistent geometry, recoverable radiometry."""

from __future__ import annotations

import json
import zipfile
from datetime import date

import numpy as np
import pytest
import rasterio
import test_demo_store
import xarray as xr
from lxml import etree

from sar2ndvi.demo import DemoSpec, World
from sar2ndvi.demo import sentinel1 as s1
from sar2ndvi.sentinel1.geometry import Orbit, geodetic_to_ecef, zero_doppler

TINY = test_demo_store.TINY
tiny_store = test_demo_store.tiny_store  # the shared tiny world


@pytest.fixture(scope="module")
def safe_dir(tiny_store, tmp_path_factory):
    catalog = json.loads((tiny_store / "sentinel1/catalog.json").read_text())
    out = tmp_path_factory.mktemp("safe")
    with zipfile.ZipFile(tiny_store / "sentinel1" / catalog[0]["fileName"]) as archive:
        archive.extractall(out)
    (safe,) = out.glob("*.SAFE")
    assert safe.name == catalog[0]["sceneName"] + ".SAFE"
    return safe


@pytest.fixture(scope="module")
def world():
    return World(DemoSpec.from_config(TINY))


@pytest.fixture(scope="module")
def geometry(world):
    return s1.track_geometry(world, 46, 38.0)


def _open(safe_dir, group: str) -> xr.Dataset:
    """Open a group with xarray-sentinel's engine, an independent reader of the SAFE format."""
    return xr.open_dataset(safe_dir, engine="sentinel-1", group=group)


def test_products_open_with_xarray_sentinel(safe_dir):
    image = _open(safe_dir, "IW/VV")
    assert image["measurement"].shape[0] > 100
    for group in ("IW/VV/calibration", "IW/VV/noise_range", "IW/VV/noise_azimuth", "IW/VV/orbit", "IW/VV/gcp"):
        ds = _open(safe_dir, group)
        assert len(ds.data_vars) > 0, group
    assert _open(safe_dir, "IW/VV/orbit").sizes["azimuth_time"] >= 10
    gcp = _open(safe_dir, "IW/VV/gcp")
    assert gcp["latitude"].shape == (10, 21)
    sigma = _open(safe_dir, "IW/VV/calibration")["sigmaNought"]
    assert 560 < float(sigma.min()) and float(sigma.max()) < 710


def test_file_names_follow_esa_conventions(safe_dir):
    names = sorted(p.relative_to(safe_dir).as_posix() for p in safe_dir.rglob("*") if p.is_file())
    stem = safe_dir.name[:-5].lower().replace("_", "-")
    assert "manifest.safe" in names
    measurement = [n for n in names if n.startswith("measurement/")]
    assert [n.split("-")[3] for n in measurement] == ["vh", "vv"]
    parts = stem.split("-")
    mission, start, stop, orbit, take = parts[0], parts[4], parts[5], parts[6], parts[7]
    assert measurement[1] == f"measurement/{mission}-iw-grd-vv-{start}-{stop}-{orbit}-{take}-001.tiff"
    assert f"annotation/calibration/noise-{mission}-iw-grd-vh-{start}-{stop}-{orbit}-{take}-002.xml" in names


def _annotation(safe_dir):
    (path,) = (safe_dir / "annotation").glob("*-vv-*.xml")
    return etree.parse(str(path)).getroot()


def _orbit_and_frame(root):
    vectors = root.findall("generalAnnotation/orbitList/orbit")
    times = np.array([np.datetime64(v.findtext("time")) for v in vectors], "datetime64[ns]")
    pos = np.array([[float(v.findtext(f"position/{a}")) for a in "xyz"] for v in vectors])
    vel = np.array([[float(v.findtext(f"velocity/{a}")) for a in "xyz"] for v in vectors])
    orbit = Orbit(times[0], (times - times[0]) / np.timedelta64(1, "s"), pos, vel)
    info = root.find("imageAnnotation/imageInformation")
    first = np.datetime64(info.findtext("productFirstLineUtcTime"), "ns")
    interval = float(info.findtext("azimuthTimeInterval"))
    conv = root.find("coordinateConversion/coordinateConversionList/coordinateConversion")
    srgr = np.array(conv.findtext("srgrCoefficients").split(), float)
    sr0 = float(conv.findtext("sr0"))
    return orbit, first, interval, sr0, srgr, float(info.findtext("rangePixelSpacing"))


def test_geolocation_grid_points_map_back_to_their_line_and_pixel(safe_dir):
    root = _annotation(safe_dir)
    orbit, first, interval, sr0, srgr, spacing = _orbit_and_frame(root)
    points = root.findall("geolocationGrid/geolocationGridPointList/geolocationGridPoint")
    assert len(points) == 210
    get = {k: np.array([float(p.findtext(k)) for p in points]) for k in ("line", "pixel", "latitude", "longitude")}
    height = np.array([float(p.findtext("height")) for p in points])
    incidence = np.array([float(p.findtext("incidenceAngle")) for p in points])
    t, slant = zero_doppler(orbit, geodetic_to_ecef(get["longitude"], get["latitude"], height), orbit.seconds(first))
    line = (t - orbit.seconds(first)) / interval
    pixel = np.polynomial.polynomial.polyval(slant - sr0, srgr) / spacing
    assert np.max(np.abs(line - get["line"])) < 0.1
    assert np.max(np.abs(pixel - get["pixel"])) < 0.1
    # terrain heights of Tsumagoi on the WGS 84 ellipsoid
    assert 1000 < height.min() and height.max() < 1500
    # descending, right-looking: far range lies west and incidence grows with range around 38°
    row = slice(0, 21)
    assert get["longitude"][row][-1] < get["longitude"][row][0]
    assert np.all(np.diff(incidence[row]) > 0) and 36 < incidence.mean() < 40
    assert root.findtext("generalAnnotation/productInformation/pass") == "Descending"
    heading = float(root.findtext("generalAnnotation/productInformation/platformHeading"))
    assert -172 < heading < -160


def test_srgr_and_grsr_polynomials_are_inverse(safe_dir):
    conv = _annotation(safe_dir).find("coordinateConversion/coordinateConversionList/coordinateConversion")
    srgr = np.array(conv.findtext("srgrCoefficients").split(), float)
    grsr = np.array(conv.findtext("grsrCoefficients").split(), float)
    sr0, gr0 = float(conv.findtext("sr0")), float(conv.findtext("gr0"))
    assert len(srgr) >= 5 and len(grsr) >= 5
    slant = sr0 + np.linspace(0, 8000, 50)
    ground = np.polynomial.polynomial.polyval(slant - sr0, srgr)
    assert np.max(np.abs(np.polynomial.polynomial.polyval(ground - gr0, grsr) - slant)) < 0.01


def test_absolute_orbit_is_consistent_with_the_track(tiny_store):
    for record in json.loads((tiny_store / "sentinel1/catalog.json").read_text()):
        offset = 73 if record["platform"] == "Sentinel-1A" else 27
        assert (record["absoluteOrbit"] - offset) % 175 + 1 == record["pathNumber"] == 46
        assert record["flightDirection"] == "DESCENDING" and record["polarization"] == "VV+VH"


def _calibrated(safe_dir, pol):
    cal = _open(safe_dir, f"IW/{pol}/calibration")["sigmaNought"]
    noise = _open(safe_dir, f"IW/{pol}/noise_range")["noiseRangeLut"]
    azimuth = _open(safe_dir, f"IW/{pol}/noise_azimuth")
    (tiff,) = (safe_dir / "measurement").glob(f"*-{pol.lower()}-*.tiff")
    with rasterio.open(tiff) as src:
        dn = src.read(1).astype(np.float64)
    lines, samples = dn.shape
    rows, cols = np.arange(lines), np.arange(samples)
    a = np.stack([np.interp(cols, cal.pixel, v) for v in cal.values])
    a = np.stack([np.interp(rows, cal.line, a[:, j]) for j in range(samples)], 1)
    n = np.stack([np.interp(cols, noise.pixel, v) for v in noise.values])
    n = np.stack([np.interp(rows, noise.line, n[:, j]) for j in range(samples)], 1)
    assert float(azimuth["noiseAzimuthLut"].mean()) == pytest.approx(1.0, abs=0.1)
    n *= float(azimuth["noiseAzimuthLut"].mean())
    return dn, (dn**2 - n) / a**2


def test_recovered_sigma0_matches_the_world_over_parcels(safe_dir, world, geometry):
    day = date.fromisoformat(safe_dir.name[17:25][:4] + "-" + safe_dir.name[21:23] + "-" + safe_dir.name[23:25])
    for pol in ("VV", "VH"):
        dn, sigma = _calibrated(safe_dir, pol)
        assert dn.shape == (geometry.lines, geometry.samples)
        assert (dn[:, 0] == 0).all() and (dn[:, 10:-10] > 0).all()
        truth = s1.radar_sigma0(world, geometry, day, pol)
        crops = [i for i in world.crop_polygons if (geometry.index == i + 1).sum() > 60][:20]
        assert len(crops) >= 5
        ratios = []
        for i in crops:
            inside = geometry.index == i + 1
            ratios.append(sigma[inside].mean() / truth[inside].mean())
        # 60+ pixels of ENL 4.4 per parcel, plus thermal noise of σ0's order in VH: typically within 10 %
        ratios = np.array(ratios)
        assert abs(np.median(ratios) - 1) < 0.1 and np.all(np.abs(ratios - 1) < 0.45), ratios
        level = 10 * np.log10(np.median(truth[geometry.index > 0]))
        assert (-16 < level < -6) if pol == "VV" else (-25 < level < -12)


def test_growing_cabbage_raises_vh(world, geometry):
    crop = np.isin(geometry.index - 1, world.crop_polygons)
    peak = world.parcel_ndvi(date(2017, 8, 10))
    bare = world.parcel_ndvi(date(2017, 5, 2))
    grown = np.flatnonzero(peak - bare > 0.4)
    grown_px = crop & np.isin(geometry.index - 1, grown)
    assert grown_px.sum() > 500
    vh_bare = s1.radar_sigma0(world, geometry, date(2017, 5, 2), "VH")[grown_px]
    vh_peak = s1.radar_sigma0(world, geometry, date(2017, 8, 10), "VH")[grown_px]
    assert np.median(10 * np.log10(vh_peak / vh_bare)) > 2.0


def test_local_incidence_follows_the_terrain(geometry):
    theta_local = np.degrees(np.arccos(geometry.cos_local))
    assert 25 < theta_local.min() and theta_local.max() < 50
    assert theta_local.std() > 0.3  # slopes facing toward and away from the satellite
