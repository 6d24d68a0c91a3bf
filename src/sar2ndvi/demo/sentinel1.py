"""Sentinel-1 IW GRDH products of the demo world, written as ESA SAFE and zipped as ASF delivers them.

The geometry is physical: a circular orbit (693 km, descending, right-looking) is placed so that the
scene centre is seen at the track's incidence angle; every world sample (x, y, ellipsoidal height)
is mapped to its zero-Doppler time (image line) and slant range → ground range (image pixel) with
the same annotation the product carries (orbit state vectors, srgr polynomials). σ0 from the world
model, averaged in linear power into each radar pixel, with gamma speckle (ENL 4.4) and exponential
thermal noise, becomes DN = √(σ0·A² + N) with the product's own calibration and noise LUTs.
"""

from __future__ import annotations

import hashlib
import io
import math
import zipfile
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np
import rasterio
from lxml import etree
from numpy.polynomial import Polynomial
from pyproj import Transformer
from rasterio.control import GroundControlPoint
from scipy.interpolate import LinearNDInterpolator
from scipy.ndimage import distance_transform_edt

from sar2ndvi.demo.world import World
from sar2ndvi.grid import AreaGrid
from sar2ndvi.io import atomic_path
from sar2ndvi.sentinel1.calibration import interpolate_lut, noise_power
from sar2ndvi.sentinel1.geocode import grid_line_pixel, line_pixel
from sar2ndvi.sentinel1.geometry import SPEED_OF_LIGHT, Orbit, geodetic_to_ecef, zero_doppler
from sar2ndvi.sentinel1.safe import AzimuthNoiseBlock, Lut, NoiseLuts, RangeConversion

GM = 3.986004418e14  # m³/s², Earth's gravitational parameter
ALTITUDE = 693_000.0  # m
HEADING_DEG = -167.0  # descending pass
ENL = 4.4  # equivalent number of looks of GRDH
STATE_VECTOR_STEP = 10.0  # s
RADAR_FREQUENCY = 5.405000454334350e09
RELATIVE_OFFSET = {"S1A": 73, "S1B": 27}
FIRST_ABSOLUTE_ORBIT = {"S1A": 16300, "S1B": 5300}  # about 1 May 2017
REFERENCE_DAY = date(2017, 5, 1)
TRACK_TIME_UTC = {0: (20, 45, 10), 1: (20, 37, 40)}


@dataclass
class TrackGeometry:
    """Everything about one relative orbit that does not change between its acquisitions."""

    relative_orbit: int
    orbit_offsets: np.ndarray  # state vector times, s relative to the scene centre time
    positions: np.ndarray
    velocities: np.ndarray
    first_line_offset: float  # s from scene centre time to the first line
    azimuth_time_interval: float
    lines: int
    samples: int
    conversion_sr0: float
    srgr: np.ndarray
    grsr: np.ndarray
    geolocation: dict  # arrays line, pixel, offset_s, slant_time, lat, lon, height, incidence, elevation
    fine_grid: AreaGrid
    fine_line: np.ndarray
    fine_pixel: np.ndarray
    cos_local: np.ndarray
    incidence_mid: float
    _splat: tuple | None = None

    def splatting(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Radar pixel of each world sample, samples per radar pixel, and the nearest filled pixel of each."""
        if self._splat is None:
            li = np.rint(self.fine_line).astype(np.int64).ravel()
            pi = np.rint(self.fine_pixel).astype(np.int64).ravel()
            ok = (li >= 0) & (li < self.lines) & (pi >= 0) & (pi < self.samples)
            flat = li[ok] * self.samples + pi[ok]
            count = np.bincount(flat, None, self.lines * self.samples)
            holes = (count == 0).reshape(self.lines, self.samples)
            if holes.any():
                _, (rr, cc) = distance_transform_edt(holes, return_indices=True)
                fill = (rr * self.samples + cc).ravel()
            else:
                fill = np.arange(count.size)
            self._splat = (flat, ok, count, fill)
        return self._splat


def _orbit(world: World, incidence_deg: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    west, south, east, north = world.extent.lonlat_bounds()
    lon0, lat0 = 0.5 * (west + east), 0.5 * (south + north)
    c = geodetic_to_ecef(lon0, lat0, 0.0)
    radius = float(np.linalg.norm(c))
    lam, phi = math.radians(lon0), math.radians(lat0)
    e = np.array([-math.sin(lam), math.cos(lam), 0.0])
    n = np.array([-math.sin(phi) * math.cos(lam), -math.sin(phi) * math.sin(lam), math.cos(phi)])
    psi = math.radians(HEADING_DEG)
    along = math.sin(psi) * e + math.cos(psi) * n
    toward_satellite = -math.cos(psi) * e + math.sin(psi) * n
    r_orbit = radius + ALTITUDE
    look = math.asin(radius * math.sin(math.radians(incidence_deg)) / r_orbit)
    alpha = math.radians(incidence_deg) - look
    s_hat = math.cos(alpha) * c / radius + math.sin(alpha) * toward_satellite
    speed = math.sqrt(GM / r_orbit)
    omega = speed / r_orbit
    offsets = np.arange(-6, 7) * STATE_VECTOR_STEP
    positions = r_orbit * (np.cos(omega * offsets)[:, None] * s_hat + np.sin(omega * offsets)[:, None] * along)
    velocities = speed * (-np.sin(omega * offsets)[:, None] * s_hat + np.cos(omega * offsets)[:, None] * along)
    return offsets, positions, velocities, toward_satellite


def track_geometry(world: World, relative_orbit: int, incidence_deg: float) -> TrackGeometry:
    """Orbit, image size, range conversion and the world → radar mapping of one track."""
    offsets, positions, velocities, _ = _orbit(world, incidence_deg)
    epoch = np.datetime64("2017-01-01T00:00:00", "ns")
    orbit = Orbit(epoch, offsets - offsets[0], positions, velocities)
    centre = -offsets[0]  # the scene centre time in orbit seconds
    speed = float(np.linalg.norm(velocities[0]))
    extent = world.extent
    # image extent from the world extent grown by 1 km, at the lowest and highest terrain
    big = AreaGrid(
        "big",
        extent.crs,
        extent.resolution,
        extent.x_min - 1000,
        extent.y_max + 1000,
        extent.width + 200,
        extent.height + 200,
    )
    xs, ys = big.pixel_centres()
    xs, ys = xs[::20, ::20], ys[::20, ::20]
    lon, lat = Transformer.from_crs(extent.crs, "EPSG:4326", always_xy=True).transform(xs, ys)
    heights = world.ellipsoidal_height(xs, ys)
    times, slants = zero_doppler(orbit, geodetic_to_ecef(lon, lat, heights), centre)
    ground_speed = (
        speed * float(np.linalg.norm(geodetic_to_ecef(lon.mean(), lat.mean(), 0.0))) / np.linalg.norm(positions[0])
    )
    interval = 10.0 / ground_speed
    first = float(times.min())
    lines = math.ceil((times.max() - first) / interval) + 1
    sr0 = float(slants.min())
    r_orbit = float(np.linalg.norm(positions[0]))
    rho = float(np.linalg.norm(geodetic_to_ecef(lon.mean(), lat.mean(), heights.mean())))

    def ground(r: np.ndarray) -> np.ndarray:
        return rho * (
            np.arccos((r_orbit**2 + rho**2 - r**2) / (2 * r_orbit * rho))
            - math.acos((r_orbit**2 + rho**2 - sr0**2) / (2 * r_orbit * rho))
        )

    r_samples = np.linspace(sr0 - 200, slants.max() + 500, 200)
    gr = ground(r_samples)
    srgr = Polynomial.fit(r_samples - sr0, gr, 5).convert().coef
    grsr = Polynomial.fit(gr, r_samples, 5).convert().coef
    samples = math.ceil(ground(np.array([slants.max()]))[0] / 10.0) + 1
    conversion = RangeConversion(
        azimuth_time=np.array([epoch + np.timedelta64(int(first * 1e9), "ns")]),
        sr0=np.array([sr0]),
        srgr=srgr[None, :],
        gr0=np.array([0.0]),
        grsr=grsr[None, :],
    )
    first_time = epoch + np.timedelta64(round(first * 1e9), "ns")

    def solve(lon_, lat_, h_):
        return line_pixel(orbit, first_time, interval, 10.0, lines, conversion, geodetic_to_ecef(lon_, lat_, h_))

    # world samples every 5 m, mapped into the image
    fine_heights = world.ellipsoidal_height(*_fine_centres(extent, 2))
    fine_line, fine_pixel = grid_line_pixel(solve, extent, 2, fine_heights, lattice=16)
    # geolocation grid: lattice at mean terrain height, inverted from (line, pixel) to (x, y)
    h_mean = float(heights.mean())
    # the inverse needs a lattice wider than the image's bounding box (the footprint is turned)
    wide = AreaGrid(
        "wide",
        extent.crs,
        extent.resolution,
        extent.x_min - 5000,
        extent.y_max + 5000,
        extent.width + 1000,
        extent.height + 1000,
    )
    wx, wy = (a[::25, ::25] for a in wide.pixel_centres())
    wlon, wlat = Transformer.from_crs(extent.crs, "EPSG:4326", always_xy=True).transform(wx, wy)
    lat_line, lat_pixel = solve(wlon, wlat, np.full(wlon.shape, h_mean))
    inverse = LinearNDInterpolator(np.c_[lat_line.ravel(), lat_pixel.ravel()], np.c_[wx.ravel(), wy.ravel()])
    grid_lines = np.linspace(0, lines - 1, 10).round()
    grid_pixels = np.linspace(0, samples - 1, 21).round()
    gl, gp = np.meshgrid(grid_lines, grid_pixels, indexing="ij")
    gxy = inverse(gl.ravel(), gp.ravel())
    g_lon, g_lat = Transformer.from_crs(extent.crs, "EPSG:4326", always_xy=True).transform(gxy[:, 0], gxy[:, 1])
    g_ecef = geodetic_to_ecef(g_lon, g_lat, np.full(g_lon.shape, h_mean))
    g_times, g_slant = zero_doppler(orbit, g_ecef, centre)
    sat = orbit.state(g_times)[0]
    to_sat = sat - g_ecef
    up = g_ecef / np.linalg.norm(g_ecef, axis=1)[:, None]
    cos_inc = np.einsum("ij,ij->i", to_sat, up) / np.linalg.norm(to_sat, axis=1)
    incidence = np.degrees(np.arccos(cos_inc))
    elevation = np.degrees(np.arcsin(rho * np.sin(np.radians(incidence)) / r_orbit))
    geolocation = {
        "line": gl.ravel().astype(int),
        "pixel": gp.ravel().astype(int),
        "offset_s": g_times - centre,
        "slant_time": 2 * g_slant / SPEED_OF_LIGHT,
        "lat": g_lat,
        "lon": g_lon,
        "height": np.full(g_lon.shape, h_mean),
        "incidence": incidence,
        "elevation": elevation,
    }
    cos_local = _cos_local_incidence(world, extent, fine_pixel, geolocation)
    return TrackGeometry(
        relative_orbit=relative_orbit,
        orbit_offsets=offsets,
        positions=positions,
        velocities=velocities,
        first_line_offset=first - centre,
        azimuth_time_interval=interval,
        lines=lines,
        samples=samples,
        conversion_sr0=sr0,
        srgr=srgr,
        grsr=grsr,
        geolocation=geolocation,
        fine_grid=AreaGrid(
            "fine", extent.crs, extent.resolution / 2, extent.x_min, extent.y_max, extent.width * 2, extent.height * 2
        ),
        fine_line=fine_line,
        fine_pixel=fine_pixel,
        cos_local=cos_local,
        incidence_mid=float(np.median(incidence)),
    )


def _fine_centres(grid: AreaGrid, factor: int) -> tuple[np.ndarray, np.ndarray]:
    step = grid.resolution / factor
    xs = grid.x_min + (np.arange(grid.width * factor) + 0.5) * step
    ys = grid.y_max - (np.arange(grid.height * factor) + 0.5) * step
    return np.meshgrid(xs, ys)


def _cos_local_incidence(world: World, grid: AreaGrid, fine_pixel: np.ndarray, geolocation: dict) -> np.ndarray:
    """cos of the local incidence angle on the fine grid: look vector against the terrain normal."""
    xs, ys = _fine_centres(grid, 2)
    step = grid.resolution / 2
    h = world.ellipsoidal_height(xs, ys)
    dh_dy, dh_dx = np.gradient(h, -step, step)
    normal = np.stack([-dh_dx, -dh_dy, np.ones_like(h)])
    normal /= np.linalg.norm(normal, axis=0)
    theta = np.radians(np.interp(fine_pixel, geolocation["pixel"][:21], geolocation["incidence"][:21]))
    psi = math.radians(HEADING_DEG)
    east, north = -math.cos(psi), math.sin(psi)  # horizontal direction toward the satellite
    look = np.stack([np.sin(theta) * east, np.sin(theta) * north, np.cos(theta)])
    return np.einsum("i...,i...->...", look, normal)


def calibration_lut(lines: int, samples: int) -> Lut:
    """sigmaNought LUT varying smoothly across range, as in real IW GRD products."""
    vector_lines = np.unique(np.r_[np.arange(0, lines, max(lines // 8, 1)), lines - 1])
    pixels = np.unique(np.r_[np.arange(0, samples, 40), samples - 1]).astype(float)
    values = 705.0 - 110.0 * pixels / max(samples - 1, 1)
    return Lut(vector_lines, [pixels] * len(vector_lines), [values * (1 + 0.001 * k) for k in range(len(vector_lines))])


def noise_luts(lines: int, samples: int) -> NoiseLuts:
    """IPF ≥ 2.9 noise: range LUT with sub-swath scalloping × three azimuth blocks (IW1–IW3)."""
    vector_lines = np.unique(np.r_[np.arange(0, lines, max(lines // 8, 1)), lines - 1])
    pixels = np.unique(np.r_[np.arange(0, samples, 40), samples - 1]).astype(float)
    values = 950.0 + 260.0 * np.cos(2 * np.pi * pixels / 640.0) ** 2
    bounds = np.linspace(0, samples, 4).astype(int)
    blocks = []
    for k in range(3):
        block_lines = np.unique(np.r_[np.arange(0, lines, 50), lines - 1]).astype(float)
        blocks.append(
            AzimuthNoiseBlock(
                0,
                lines - 1,
                int(bounds[k]),
                int(bounds[k + 1] - 1),
                block_lines,
                1.0 + 0.04 * np.sin(block_lines / 90.0 + k),
            )
        )
    return NoiseLuts(Lut(vector_lines, [pixels] * len(vector_lines), [values] * len(vector_lines)), blocks, False)


def radar_sigma0(
    world: World, geometry: TrackGeometry, day: date, pol: str, index: np.ndarray, ndvi: np.ndarray
) -> np.ndarray:
    """World σ0 averaged (linear power) into each radar pixel of the track's image."""
    flat, ok, count, fill = geometry.splatting()
    sigma = world.sigma0(day, index, ndvi, geometry.cos_local, pol).ravel()
    total = np.bincount(flat, sigma[ok], count.size)
    image = total / np.maximum(count, 1)
    return image[fill].reshape(geometry.lines, geometry.samples)


def digital_numbers(sigma0: np.ndarray, cal: np.ndarray, noise: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """uint16 DN of σ0 with speckle and thermal noise; border columns zero as in real GRDs."""
    speckled = sigma0 * rng.gamma(ENL, 1.0 / ENL, sigma0.shape)
    power = speckled * cal**2 + noise * rng.exponential(1.0, sigma0.shape)
    dn = np.clip(np.rint(np.sqrt(power)), 1, 65535).astype(np.uint16)
    dn[:, :3] = 0
    dn[:, -3:] = 0
    return dn


# XML writers --------------------------------------------------------------------------------------


def _ts(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%S.%f")


def _sub(parent, tag: str, text=None, **attrib):
    el = etree.SubElement(parent, tag, {k: str(v) for k, v in attrib.items()})
    if text is not None:
        el.text = str(text)
    return el


def _nums(values, fmt: str = "{:.6e}") -> str:
    return " ".join(fmt.format(v) for v in values)


def _header(root, mission: str, pol: str, start: datetime, stop: datetime, absolute: int, take: int, number: int):
    head = _sub(root, "adsHeader")
    for tag, text in (
        ("missionId", mission),
        ("productType", "GRD"),
        ("polarisation", pol),
        ("mode", "IW"),
        ("swath", "IW"),
        ("startTime", _ts(start)),
        ("stopTime", _ts(stop)),
        ("absoluteOrbitNumber", absolute),
        ("missionDataTakeId", take),
        ("imageNumber", f"{number:03d}"),
    ):
        _sub(head, tag, text)


@dataclass
class Scene:
    """One acquisition of the demo world."""

    mission: str
    day: date
    start: datetime
    stop: datetime
    absolute_orbit: int
    data_take: int
    unique_id: int
    track: int

    @property
    def name(self) -> str:
        return (
            f"{self.mission}_IW_GRDH_1SDV_{self.start:%Y%m%dT%H%M%S}_{self.stop:%Y%m%dT%H%M%S}_"
            f"{self.absolute_orbit:06d}_{self.data_take:06X}_{self.unique_id:04X}"
        )

    def file_stem(self, pol: str, number: int) -> str:
        return (
            f"{self.mission.lower()}-iw-grd-{pol.lower()}-{self.start:%Y%m%dt%H%M%S}-{self.stop:%Y%m%dt%H%M%S}-"
            f"{self.absolute_orbit:06d}-{self.data_take:06x}-{number:03d}"
        )


def scene_list(world: World) -> list[Scene]:
    """The acquisitions of every track, S1A and S1B alternating every half repeat cycle."""
    spec = world.spec
    rng = np.random.default_rng(spec.seed + 1)
    scenes = []
    for k, (relative, _) in enumerate(spec.tracks):
        hour, minute, second = TRACK_TIME_UTC.get(k % 2, (20, 41, 0))
        for m, mission in enumerate(("S1A", "S1B")):
            first = spec.first_day + timedelta(days=(3 * k + m * spec.s1_repeat_days // 2) % spec.s1_repeat_days)
            for day in world.days(spec.s1_repeat_days, (first - spec.first_day).days):
                base = FIRST_ABSOLUTE_ORBIT[mission]
                # 175 orbits every 12 days since the reference absolute orbits of 1 May 2017
                cycles = (day - REFERENCE_DAY).days // 12
                absolute = base + ((relative - 1 + RELATIVE_OFFSET[mission] - base) % 175) + 175 * cycles
                start = datetime(day.year, day.month, day.day, hour, minute, second) + timedelta(
                    microseconds=int(rng.integers(0, 999_999))
                )
                scenes.append(
                    Scene(
                        mission,
                        day,
                        start,
                        start + timedelta(seconds=25),
                        absolute,
                        int(rng.integers(0x10000, 0x2FFFF)),
                        int(rng.integers(0, 0xFFFF)),
                        k,
                    )
                )
    return sorted(scenes, key=lambda s: s.start)


def annotation_xml(scene: Scene, pol: str, number: int, g: TrackGeometry, t0: datetime) -> bytes:
    """Product annotation (ESA's s1-level-1-product schema, the parts readers use)."""
    root = etree.Element("product")
    first = t0 + timedelta(seconds=g.first_line_offset)
    last = first + timedelta(seconds=(g.lines - 1) * g.azimuth_time_interval)
    _header(root, scene.mission, pol, first, last, scene.absolute_orbit, scene.data_take, number)
    general = _sub(root, "generalAnnotation")
    info = _sub(general, "productInformation")
    for tag, text in (
        ("pass", "Descending"),
        ("timelinessCategory", "Fast-24h"),
        ("platformHeading", HEADING_DEG),
        ("projection", "Ground Range"),
        ("rangeSamplingRate", "6.434523812571428e+07"),
        ("radarFrequency", f"{RADAR_FREQUENCY:.15e}"),
        ("azimuthSteeringRate", "1.590368784000000e+00"),
    ):
        _sub(info, tag, text)
    orbits = _sub(general, "orbitList", count=len(g.orbit_offsets))
    for offset, pos, vel in zip(g.orbit_offsets, g.positions, g.velocities, strict=True):
        o = _sub(orbits, "orbit")
        _sub(o, "time", _ts(t0 + timedelta(seconds=float(offset))))
        _sub(o, "frame", "Earth Fixed")
        p = _sub(o, "position")
        v = _sub(o, "velocity")
        for axis, a, b in zip("xyz", pos, vel, strict=True):
            _sub(p, axis, f"{a:.9e}")
            _sub(v, axis, f"{b:.9e}")
    image = _sub(_sub(root, "imageAnnotation"), "imageInformation")
    for tag, text in (
        ("productFirstLineUtcTime", _ts(first)),
        ("productLastLineUtcTime", _ts(last)),
        ("ascendingNodeTime", _ts(t0 - timedelta(seconds=2630))),
        ("productComposition", "Slice"),
        ("slantRangeTime", f"{2 * g.conversion_sr0 / SPEED_OF_LIGHT:.15e}"),
        ("pixelValue", "Detected"),
        ("outputPixels", "16 bit Unsigned Integer"),
        ("rangePixelSpacing", "1.000000e+01"),
        ("azimuthPixelSpacing", "1.000000e+01"),
        ("azimuthTimeInterval", f"{g.azimuth_time_interval:.15e}"),
        ("numberOfSamples", g.samples),
        ("numberOfLines", g.lines),
        ("incidenceAngleMidSwath", f"{g.incidence_mid:.15e}"),
    ):
        _sub(image, tag, text)
    processing = _sub(root.find("imageAnnotation"), "processingInformation")
    for tag, text in (
        ("thermalNoiseCorrectionPerformed", "false"),
        ("srgrConversionApplied", "true"),
        ("ellipsoidName", "WGS84"),
        ("ellipsoidSemiMajorAxis", "6.378137000000000e+06"),
        ("ellipsoidSemiMinorAxis", "6.356752314245000e+06"),
    ):
        _sub(processing, tag, text)
    # GRD products carry an empty burst list
    timing = _sub(root, "swathTiming")
    _sub(timing, "linesPerBurst", 0)
    _sub(timing, "samplesPerBurst", 0)
    _sub(timing, "burstList", count=0)
    points = _sub(_sub(root, "geolocationGrid"), "geolocationGridPointList", count=len(g.geolocation["line"]))
    geo = g.geolocation
    for i in range(len(geo["line"])):
        pt = _sub(points, "geolocationGridPoint")
        _sub(pt, "azimuthTime", _ts(t0 + timedelta(seconds=float(geo["offset_s"][i]))))
        _sub(pt, "slantRangeTime", f"{geo['slant_time'][i]:.15e}")
        _sub(pt, "line", int(geo["line"][i]))
        _sub(pt, "pixel", int(geo["pixel"][i]))
        for tag, key in (
            ("latitude", "lat"),
            ("longitude", "lon"),
            ("height", "height"),
            ("incidenceAngle", "incidence"),
            ("elevationAngle", "elevation"),
        ):
            _sub(pt, tag, f"{geo[key][i]:.15e}")
    conversions = _sub(_sub(root, "coordinateConversion"), "coordinateConversionList", count=1)
    c = _sub(conversions, "coordinateConversion")
    _sub(c, "azimuthTime", _ts(first))
    _sub(c, "slantRangeTime", f"{2 * g.conversion_sr0 / SPEED_OF_LIGHT:.15e}")
    _sub(c, "sr0", f"{g.conversion_sr0:.15e}")
    _sub(c, "srgrCoefficients", _nums(g.srgr, "{:.15e}"), count=len(g.srgr))
    _sub(c, "gr0", "0.000000000000000e+00")
    _sub(c, "grsrCoefficients", _nums(g.grsr, "{:.15e}"), count=len(g.grsr))
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def calibration_xml(scene: Scene, pol: str, number: int, g: TrackGeometry, t0: datetime, lut: Lut) -> bytes:
    root = etree.Element("calibration")
    first = t0 + timedelta(seconds=g.first_line_offset)
    _header(
        root, scene.mission, pol, first, first + timedelta(seconds=25), scene.absolute_orbit, scene.data_take, number
    )
    _sub(_sub(root, "calibrationInformation"), "absoluteCalibrationConstant", "1.000000e+00")
    vectors = _sub(root, "calibrationVectorList", count=len(lut.lines))
    for line, pixels, values in zip(lut.lines, lut.pixels, lut.values, strict=True):
        v = _sub(vectors, "calibrationVector")
        _sub(v, "azimuthTime", _ts(first + timedelta(seconds=float(line) * g.azimuth_time_interval)))
        _sub(v, "line", int(line))
        _sub(v, "pixel", " ".join(str(int(p)) for p in pixels), count=len(pixels))
        _sub(v, "sigmaNought", _nums(values), count=len(values))
        _sub(v, "betaNought", _nums(np.full(len(values), 473.9733)), count=len(values))
        _sub(v, "gamma", _nums(values * 0.93), count=len(values))
        _sub(v, "dn", _nums(np.full(len(values), 401.5858)), count=len(values))
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def noise_xml(scene: Scene, pol: str, number: int, g: TrackGeometry, t0: datetime, noise: NoiseLuts) -> bytes:
    root = etree.Element("noise")
    first = t0 + timedelta(seconds=g.first_line_offset)
    _header(
        root, scene.mission, pol, first, first + timedelta(seconds=25), scene.absolute_orbit, scene.data_take, number
    )
    ranges = _sub(root, "noiseRangeVectorList", count=len(noise.range.lines))
    for line, pixels, values in zip(noise.range.lines, noise.range.pixels, noise.range.values, strict=True):
        v = _sub(ranges, "noiseRangeVector")
        _sub(v, "azimuthTime", _ts(first + timedelta(seconds=float(line) * g.azimuth_time_interval)))
        _sub(v, "line", int(line))
        _sub(v, "pixel", " ".join(str(int(p)) for p in pixels), count=len(pixels))
        _sub(v, "noiseRangeLut", _nums(values), count=len(values))
    blocks = _sub(root, "noiseAzimuthVectorList", count=len(noise.azimuth))
    for k, block in enumerate(noise.azimuth):
        b = _sub(blocks, "noiseAzimuthVector")
        _sub(b, "swath", f"IW{k + 1}")
        _sub(b, "firstAzimuthLine", block.first_line)
        _sub(b, "firstRangeSample", block.first_sample)
        _sub(b, "lastAzimuthLine", block.last_line)
        _sub(b, "lastRangeSample", block.last_sample)
        _sub(b, "line", " ".join(str(int(x)) for x in block.lines), count=len(block.lines))
        _sub(b, "noiseAzimuthLut", _nums(block.values), count=len(block.values))
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


MANIFEST_NS = {
    "xfdu": "urn:ccsds:schema:xfdu:1",
    "safe": "http://www.esa.int/safe/sentinel-1.0",
    "s1": "http://www.esa.int/safe/sentinel-1.0/sentinel-1",
    "s1sar": "http://www.esa.int/safe/sentinel-1.0/sentinel-1/sar",
    "s1sarl1": "http://www.esa.int/safe/sentinel-1.0/sentinel-1/sar/level-1",
    "gml": "http://www.opengis.net/gml",
}
REP_IDS = {
    "measurement": "s1Level1MeasurementSchema",
    "calibration": "s1Level1CalibrationSchema",
    "noise": "s1Level1NoiseSchema",
    "annotation": "s1Level1ProductSchema",
}


def _q(prefix: str, tag: str) -> str:
    return f"{{{MANIFEST_NS[prefix]}}}{tag}"


def _wrapped(section, object_id: str):
    obj = etree.SubElement(section, "metadataObject", ID=object_id, classification="DESCRIPTION", category="DMD")
    return etree.SubElement(
        etree.SubElement(obj, "metadataWrap", mimeType="text/xml", vocabularyName="SAFE"), "xmlData"
    )


def manifest_xml(scene: Scene, g: TrackGeometry, files: dict[str, bytes], first: datetime, last: datetime) -> bytes:
    """manifest.safe in the layout of ESA's IW GRD products (the sections readers use)."""
    root = etree.Element(
        _q("xfdu", "XFDU"), nsmap=MANIFEST_NS, version="esa/safe/sentinel-1.0/sentinel-1/sar/level-1/standard/iwdp"
    )
    meta = etree.SubElement(root, "metadataSection")
    processing = etree.SubElement(_wrapped(meta, "processing"), _q("safe", "processing"), name="GRD Post Processing")
    etree.SubElement(processing, _q("safe", "facility"), name="Copernicus S1 Core Ground Segment", organisation="ESA")
    etree.SubElement(processing, _q("safe", "software"), name="Sentinel-1 IPF", version="003.52")
    platform = etree.SubElement(_wrapped(meta, "platform"), _q("safe", "platform"))
    etree.SubElement(platform, _q("safe", "nssdcIdentifier")).text = (
        "2014-016A" if scene.mission == "S1A" else "2016-025A"
    )
    etree.SubElement(platform, _q("safe", "familyName")).text = "SENTINEL-1"
    etree.SubElement(platform, _q("safe", "number")).text = scene.mission[-1]
    instrument = etree.SubElement(platform, _q("safe", "instrument"))
    etree.SubElement(instrument, _q("safe", "familyName"), abbreviation="SAR").text = "Synthetic Aperture Radar"
    mode = etree.SubElement(etree.SubElement(instrument, _q("safe", "extension")), _q("s1sarl1", "instrumentMode"))
    etree.SubElement(mode, _q("s1sarl1", "mode")).text = "IW"
    etree.SubElement(mode, _q("s1sarl1", "swath")).text = "IW"
    orbit = etree.SubElement(_wrapped(meta, "measurementOrbitReference"), _q("safe", "orbitReference"))
    for kind in ("start", "stop"):
        etree.SubElement(orbit, _q("safe", "orbitNumber"), type=kind).text = str(scene.absolute_orbit)
    for kind in ("start", "stop"):
        etree.SubElement(orbit, _q("safe", "relativeOrbitNumber"), type=kind).text = str(g.relative_orbit)
    props = etree.SubElement(etree.SubElement(orbit, _q("safe", "extension")), _q("s1", "orbitProperties"))
    etree.SubElement(props, _q("s1", "pass")).text = "DESCENDING"
    etree.SubElement(props, _q("s1", "ascendingNodeTime")).text = _ts(first - timedelta(seconds=2630))
    info = etree.SubElement(_wrapped(meta, "generalProductInformation"), _q("s1sarl1", "standAloneProductInformation"))
    for tag, text in (
        ("instrumentConfigurationID", "1"),
        ("missionDataTakeID", str(scene.data_take)),
        ("transmitterReceiverPolarisation", "VV"),
        ("transmitterReceiverPolarisation", "VH"),
        ("productClass", "S"),
        ("productComposition", "Slice"),
        ("productType", "GRD"),
        ("productTimelinessCategory", "Fast-24h"),
    ):
        etree.SubElement(info, _q("s1sarl1", tag)).text = text
    period = etree.SubElement(_wrapped(meta, "acquisitionPeriod"), _q("safe", "acquisitionPeriod"))
    etree.SubElement(period, _q("safe", "startTime")).text = _ts(first)
    etree.SubElement(period, _q("safe", "stopTime")).text = _ts(last)
    frame = etree.SubElement(
        etree.SubElement(_wrapped(meta, "measurementFrameSet"), _q("safe", "frameSet")), _q("safe", "frame")
    )
    geo = g.geolocation
    corners = [0, 20, len(geo["lat"]) - 1, len(geo["lat"]) - 21]
    footprint = etree.SubElement(frame, _q("safe", "footPrint"), srsName="http://www.opengis.net/gml/srs/epsg.xml#4326")
    etree.SubElement(footprint, _q("gml", "coordinates")).text = " ".join(
        f"{geo['lat'][i]:.6f},{geo['lon'][i]:.6f}" for i in corners
    )
    objects = etree.SubElement(root, "dataObjectSection")
    for name, data in sorted(files.items()):
        kind = "calibration" if "/calibration-" in name else "noise" if "/noise-" in name else name.split("/")[0]
        stem = Path(name).stem.replace("-", "")
        obj = etree.SubElement(objects, "dataObject", ID=f"{kind}{stem}", repID=REP_IDS[kind])
        stream = etree.SubElement(obj, "byteStream", mimeType="application/octet-stream", size=str(len(data)))
        etree.SubElement(stream, "fileLocation", locatorType="URL", href=f"./{name}")
        digest = hashlib.md5(data, usedforsecurity=False).hexdigest()
        etree.SubElement(stream, "checksum", checksumName="MD5").text = digest
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def measurement_tiff(dn: np.ndarray, geolocation: dict) -> bytes:
    """uint16 GeoTIFF in radar geometry with the geolocation grid as GCPs (as in real GRDs)."""
    gcps = [
        GroundControlPoint(row=float(r), col=float(c), x=float(x), y=float(y), z=float(z))
        for r, c, x, y, z in zip(
            geolocation["line"],
            geolocation["pixel"],
            geolocation["lon"],
            geolocation["lat"],
            geolocation["height"],
            strict=True,
        )
    ]
    with rasterio.MemoryFile() as mem:
        with mem.open(
            driver="GTiff",
            width=dn.shape[1],
            height=dn.shape[0],
            count=1,
            dtype="uint16",
            tiled=True,
            blockxsize=256,
            blockysize=256,
            compress="deflate",
            gcps=gcps,
            crs="EPSG:4326",
        ) as dst:
            dst.write(dn, 1)
        return mem.read()


def write_product(
    world: World, scene: Scene, g: TrackGeometry, index: np.ndarray, out_dir: Path, rng: np.random.Generator
) -> Path:
    """Write one zipped SAFE product; return its path."""
    # the acquisition's first image line is the scene's start time
    t0 = scene.start - timedelta(seconds=g.first_line_offset)
    ndvi = world.ndvi(scene.day, g.fine_grid, index)
    rows = np.arange(g.lines)
    cols = np.arange(g.samples)
    lut = calibration_lut(g.lines, g.samples)
    noise = noise_luts(g.lines, g.samples)
    cal = interpolate_lut(lut, rows, cols)
    thermal = noise_power(noise, rows, cols)
    safe = f"{scene.name}.SAFE"
    files: dict[str, bytes] = {}
    for number, pol in ((1, "VV"), (2, "VH")):
        stem = scene.file_stem(pol, number)
        sigma = radar_sigma0(world, g, scene.day, pol, index, ndvi)
        files[f"measurement/{stem}.tiff"] = measurement_tiff(digital_numbers(sigma, cal, thermal, rng), g.geolocation)
        files[f"annotation/{stem}.xml"] = annotation_xml(scene, pol, number, g, t0)
        files[f"annotation/calibration/calibration-{stem}.xml"] = calibration_xml(scene, pol, number, g, t0, lut)
        files[f"annotation/calibration/noise-{stem}.xml"] = noise_xml(scene, pol, number, g, t0, noise)
    first = t0 + timedelta(seconds=g.first_line_offset)
    manifest = manifest_xml(scene, g, files, first, first + timedelta(seconds=(g.lines - 1) * g.azimuth_time_interval))
    path = out_dir / f"{scene.name}.zip"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        stamp = scene.start.timetuple()[:6]
        archive.writestr(zipfile.ZipInfo(f"{safe}/manifest.safe", date_time=stamp), manifest, zipfile.ZIP_DEFLATED)
        for name, data in sorted(files.items()):
            compress = zipfile.ZIP_STORED if name.endswith(".tiff") else zipfile.ZIP_DEFLATED
            archive.writestr(
                zipfile.ZipInfo(f"{safe}/{name}", date_time=scene.start.timetuple()[:6]), data, compress_type=compress
            )
    with atomic_path(path) as tmp:
        tmp.write_bytes(buffer.getvalue())
    return path
