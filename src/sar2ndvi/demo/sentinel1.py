"""Sentinel-1 IW GRDH products of the demo world, written as ESA SAFE and zipped as ASF delivers them.

The geometry is physical: a circular orbit (693 km altitude, 98.18° inclination, descending,
right-looking, so the satellite is east of the scene) is propagated in an inertial frame and turned
into ECEF (EPSG:4978) with the Earth's rotation; it is placed so that the scene centre is seen at
the track's incidence angle. Every image pixel (line = zero-Doppler time, pixel = ground range from
the product's own slant → ground range polynomial, 10 m spacing) is traced back to the world point
(x, y on EPSG:32654, ellipsoidal height H + N) that the orbit sees there, by inverting the forward
mapping (world → zero-Doppler time, slant range) computed with
:func:`sar2ndvi.sentinel1.geometry.zero_doppler`. The world's σ0 (water-cloud model at the local
incidence angle from the look vector and the terrain normal) with gamma speckle (ENL 4.4) and
exponential thermal noise becomes DN = √(σ0·A² + N) with the product's calibration and noise LUTs.
All acquisitions of a track share the mapping: only their times differ.

The LUT containers and their interpolation are deliberately written here again rather than taken
from :mod:`sar2ndvi.sentinel1`: the generator must not share the reader's code, or a reader bug would
be baked into the data it is tested on.
"""

from __future__ import annotations

import hashlib
import io
import math
import zipfile
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Literal

import numpy as np
import rasterio
from lxml import etree
from numpy.polynomial import Polynomial
from pyproj import Transformer
from rasterio.control import GroundControlPoint
from scipy.ndimage import map_coordinates

from sar2ndvi.demo.world import World
from sar2ndvi.io import atomic_path
from sar2ndvi.sentinel1.geometry import SPEED_OF_LIGHT, Orbit, ecef_to_geodetic, geodetic_to_ecef, zero_doppler

GM = 3.986004418e14  # m³/s², Earth's gravitational parameter
OMEGA_EARTH = 7.2921151467e-5  # rad/s, Earth's rotation rate
ALTITUDE = 693_000.0  # m, Sentinel-1 reference altitude
INCLINATION_DEG = 98.18  # Sentinel-1 sun-synchronous orbit
ENL = 4.4  # equivalent number of looks of IW GRDH
STATE_VECTOR_STEP = 10.0  # s, as in the annotation orbit lists
STATE_VECTORS = 17  # ±80 s about the scene centre: covers the image ± 30 s
PIXEL_SPACING = 10.0  # m, IW GRDH range and azimuth pixel spacing
RADAR_FREQUENCY = 5.405000454334350e09  # Hz
RELATIVE_OFFSET = {"S1A": 73, "S1B": 27}
FIRST_ABSOLUTE_ORBIT = {"S1A": 16300, "S1B": 5300}  # about May 2017
REFERENCE_DAY = date(2017, 5, 1)  # the day of FIRST_ABSOLUTE_ORBIT
TRACK_TIME_UTC = {0: (20, 45, 10), 1: (20, 37, 40)}  # descending passes over Japan, about 05:40 JST
EPOCH = np.datetime64("2017-01-01T00:00:00", "ns")  # orbit-internal time origin
LATTICE_STEP = 50.0  # m, world → radar mapping lattice; terrain is smooth at this scale
BORDER_SAMPLES = 3  # no-data columns at near and far range, as in real GRDs
# Before IPF 2.90 the image edges hold low, non-zero DN instead of zeros (GRD border noise):
# lines at the start and end of the slice, samples at near and far range.
BORDER_NOISE_LINES = (72, 84)
BORDER_NOISE_SAMPLES = (96, 80)
BORDER_NOISE_MAX_DN = 29
FIXED_BORDER_IPF = 2.90


@dataclass(frozen=True)
class Lut:
    """A LUT given as vectors at sparse ``lines``, each with values at sparse ``pixels``."""

    lines: np.ndarray
    pixels: list[np.ndarray]
    values: list[np.ndarray]


@dataclass(frozen=True)
class AzimuthNoiseBlock:
    """One block of the IPF ≥ 2.9 azimuth noise LUT, valid on a line × sample rectangle."""

    first_line: int
    last_line: int
    first_sample: int
    last_sample: int
    lines: np.ndarray
    values: np.ndarray


@dataclass(frozen=True)
class NoiseLuts:
    range: Lut
    azimuth: list[AzimuthNoiseBlock]


@dataclass
class TrackGeometry:
    """Everything about one relative orbit that does not change between its acquisitions.

    Times are seconds relative to the scene centre time; per-pixel arrays have the image shape
    (lines, samples) and hold, for each radar pixel, the world point it sees.
    """

    relative_orbit: int
    orbit_offsets: np.ndarray  # state vector times, s
    positions: np.ndarray  # ECEF m
    velocities: np.ndarray  # ECEF m/s
    first_line_offset: float  # s from scene centre time to the first line
    azimuth_time_interval: float  # s
    lines: int
    samples: int
    conversion_sr0: float  # m
    srgr: np.ndarray  # ground range (m) = Σ srgr[k]·(slant − sr0)^k
    grsr: np.ndarray  # slant range (m) = Σ grsr[k]·ground^k
    geolocation: dict  # line, pixel, offset_s, slant_time, lat, lon, height, incidence, elevation (flat, 10 × 21)
    x: np.ndarray  # EPSG:32654 m of the world point seen by each pixel
    y: np.ndarray
    index: np.ndarray  # parcel index + 1 (0 = roads, built-up) per pixel
    texture: np.ndarray  # within-field NDVI texture per pixel
    cos_local: np.ndarray  # cosine of the local incidence angle per pixel
    incidence_mid: float  # deg
    heading_deg: float  # platform heading at the scene centre, degrees clockwise from north
    node_offset: float  # s from the ascending node to the scene centre

    def orbit(self, t0: np.datetime64 = EPOCH) -> Orbit:
        """The orbit with its epoch at ``t0``, the scene centre time."""
        return Orbit(t0 + np.timedelta64(0, "ns"), self.orbit_offsets, self.positions, self.velocities)

    def line_pixel(self, targets_ecef: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Image (line, pixel) of ECEF targets (..., 3): zero-Doppler time and ground range."""
        t, slant = zero_doppler(self.orbit(), targets_ecef, 0.0)
        line = (t - self.first_line_offset) / self.azimuth_time_interval
        pixel = np.polynomial.polynomial.polyval(slant - self.conversion_sr0, self.srgr) / PIXEL_SPACING
        return line, pixel


def _unit(v: np.ndarray) -> np.ndarray:
    return v / np.linalg.norm(v, axis=-1, keepdims=True)


def _enu(lon_deg: np.ndarray, lat_deg: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """East, north and (geodetic) up unit vectors in ECEF, each (..., 3)."""
    lam, phi = np.radians(lon_deg), np.radians(lat_deg)
    east = np.stack([-np.sin(lam), np.cos(lam), np.zeros_like(lam)], -1)
    north = np.stack([-np.sin(phi) * np.cos(lam), -np.sin(phi) * np.sin(lam), np.cos(phi)], -1)
    up = np.stack([np.cos(phi) * np.cos(lam), np.cos(phi) * np.sin(lam), np.sin(phi)], -1)
    return east, north, up


def _orbit(world: World, incidence_deg: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """State vectors (times relative to the scene centre, ECEF positions, velocities) and node offset.

    The orbit is circular. At the scene centre time the satellite lies in the plane through the scene
    centre across the track, east of it (descending, right-looking), at the Earth-central angle that
    gives the requested incidence angle; its inertial heading follows from the inclination.
    """
    west, south, east_, north_ = world.extent.lonlat_bounds()
    lon0, lat0 = 0.5 * (west + east_), 0.5 * (south + north_)
    c = geodetic_to_ecef(lon0, lat0, 0.0)
    radius = float(np.linalg.norm(c))
    e, n, _ = _enu(np.array(lon0), np.array(lat0))
    cos_i = math.cos(math.radians(INCLINATION_DEG))
    alpha = math.pi - math.asin(cos_i / math.cos(math.radians(lat0)))  # descending: heading south-west
    along = math.sin(alpha) * e + math.cos(alpha) * n
    toward_satellite = -math.cos(alpha) * e + math.sin(alpha) * n  # left of the track: the radar looks right
    r_orbit = radius + ALTITUDE
    look = math.asin(radius * math.sin(math.radians(incidence_deg)) / r_orbit)
    beta = math.radians(incidence_deg) - look  # Earth-central angle scene → sub-satellite point
    s_hat = math.cos(beta) * c / radius + math.sin(beta) * toward_satellite
    # the heading that gives the inclination holds at the satellite's own latitude and meridian
    s_lon, s_lat, _ = ecef_to_geodetic(s_hat * r_orbit)
    e_s, n_s, _ = _enu(np.asarray(s_lon), np.asarray(s_lat))
    alpha = math.pi - math.asin(cos_i / math.cos(math.radians(float(s_lat))))
    along = math.sin(alpha) * e_s + math.cos(alpha) * n_s
    along = _unit(along - (along @ s_hat) * s_hat)
    speed = math.sqrt(GM / r_orbit)
    omega = speed / r_orbit
    half = STATE_VECTORS // 2
    offsets = np.arange(-half, half + 1) * STATE_VECTOR_STEP
    wt = omega * offsets[:, None]
    r_in = r_orbit * (np.cos(wt) * s_hat + np.sin(wt) * along)
    v_in = speed * (-np.sin(wt) * s_hat + np.cos(wt) * along)
    # inertial → Earth-fixed: rotate by −ωE·t and remove the frame's rotation from the velocity
    z = np.array([0.0, 0.0, 1.0])
    v_rel = v_in - OMEGA_EARTH * np.cross(z, r_in)
    angle = -OMEGA_EARTH * offsets
    cos_a, sin_a = np.cos(angle), np.sin(angle)

    def rotate(v: np.ndarray) -> np.ndarray:
        return np.stack([cos_a * v[:, 0] - sin_a * v[:, 1], sin_a * v[:, 0] + cos_a * v[:, 1], v[:, 2]], -1)

    sat_lat = math.asin(s_hat[2])  # geocentric latitude of the satellite at the centre time
    u = math.pi - math.asin(math.sin(sat_lat) / math.sin(math.radians(INCLINATION_DEG)))  # descending half
    return offsets, rotate(r_in), rotate(v_rel), u / omega


def track_geometry(world: World, relative_orbit: int, incidence_deg: float) -> TrackGeometry:
    """Orbit, image frame, range conversion, geolocation grid and the radar → world mapping of one track."""
    offsets, positions, velocities, node_offset = _orbit(world, incidence_deg)
    orbit = Orbit(EPOCH, offsets, positions, velocities)
    to_geo = Transformer.from_crs(world.spec.crs, "EPSG:4326", always_xy=True)

    # forward mapping on a lattice over the whole world cover: (x, y, h) → (time, slant range)
    cx0, cy0, cx1, cy1 = world.cover.bounds
    lx = np.arange(cx0, cx1 + LATTICE_STEP, LATTICE_STEP)
    ly = np.arange(cy1, cy0 - LATTICE_STEP, -LATTICE_STEP)
    gx, gy = np.meshgrid(lx, ly)
    lon, lat = to_geo.transform(gx, gy)
    times, slants = zero_doppler(orbit, geodetic_to_ecef(lon, lat, world.ellipsoidal_height(gx, gy)), 0.0)

    # the image frame: the radar bounding box of the demo extent
    ex0, ey0, ex1, ey1 = world.extent.bounds
    inside = (gx >= ex0) & (gx <= ex1) & (gy >= ey0) & (gy <= ey1)
    first = float(times[inside].min())
    sat_speed = float(np.linalg.norm(velocities[len(offsets) // 2]))
    r_orbit = float(np.linalg.norm(positions[len(offsets) // 2]))
    rho = float(np.linalg.norm(geodetic_to_ecef(lon[inside].mean(), lat[inside].mean(), 0.0)))
    interval = PIXEL_SPACING / (sat_speed * rho / r_orbit)  # 10 m of ground track per line
    lines = math.ceil((float(times[inside].max()) - first) / interval) + 1
    sr0 = float(slants[inside].min())

    def ground(r: np.ndarray) -> np.ndarray:
        # ground range on a sphere of the local radius, measured from the near edge
        return rho * (
            np.arccos((r_orbit**2 + rho**2 - r**2) / (2 * r_orbit * rho))
            - math.acos((r_orbit**2 + rho**2 - sr0**2) / (2 * r_orbit * rho))
        )

    r_samples = np.linspace(sr0 - 500, float(slants.max()) + 500, 200)
    gr = ground(r_samples)
    srgr = Polynomial.fit(r_samples - sr0, gr, 5).convert().coef
    grsr = Polynomial.fit(gr, r_samples, 5).convert().coef
    samples = math.ceil(float(ground(np.array([slants[inside].max()]))[0]) / PIXEL_SPACING) + 1

    def radar(t: np.ndarray, r: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return (t - first) / interval, np.polynomial.polynomial.polyval(r - sr0, srgr) / PIXEL_SPACING

    lat_line, lat_pixel = radar(times, slants)
    # the mapping is nearly affine: its least-squares inverse drives the Newton-like inversion below
    design = np.c_[gx.ravel(), gy.ravel(), np.ones(gx.size)]
    coef, *_ = np.linalg.lstsq(design, np.c_[lat_line.ravel(), lat_pixel.ravel()], rcond=None)
    jac_inv = np.linalg.inv(coef[:2].T)  # d(x, y) / d(line, pixel)

    def invert(line: np.ndarray, pixel: np.ndarray, exact: bool) -> tuple[np.ndarray, np.ndarray]:
        """World (x, y) seen at image (line, pixel): lattice-interpolated, or exact with zero-Doppler."""
        xy = np.stack([line - coef[2, 0], pixel - coef[2, 1]])
        xy = np.tensordot(jac_inv, xy, 1)
        for _ in range(6 if exact else 8):
            if exact:
                h = world.ellipsoidal_height(xy[0], xy[1])
                lo, la = to_geo.transform(xy[0], xy[1])
                f_line, f_pixel = radar(*zero_doppler(orbit, geodetic_to_ecef(lo, la, h), 0.0))
            else:
                coords = [(ly[0] - xy[1]) / LATTICE_STEP, (xy[0] - lx[0]) / LATTICE_STEP]
                f_line = map_coordinates(lat_line, coords, order=1, mode="nearest")
                f_pixel = map_coordinates(lat_pixel, coords, order=1, mode="nearest")
            xy += np.tensordot(jac_inv, np.stack([line - f_line, pixel - f_pixel]), 1)
        return xy[0], xy[1]

    rows, cols = np.meshgrid(np.arange(lines, dtype=np.float64), np.arange(samples, dtype=np.float64), indexing="ij")
    px, py = invert(rows, cols, exact=False)

    # geolocation grid: 10 lines × 21 pixels, exact zero-Doppler positions on the terrain
    grid_lines = np.linspace(0, lines - 1, 10).round()
    grid_pixels = np.linspace(0, samples - 1, 21).round()
    gl, gp = np.meshgrid(grid_lines, grid_pixels, indexing="ij")
    gx_, gy_ = invert(gl.ravel(), gp.ravel(), exact=True)
    g_h = world.ellipsoidal_height(gx_, gy_)
    g_lon, g_lat = to_geo.transform(gx_, gy_)
    g_ecef = geodetic_to_ecef(g_lon, g_lat, g_h)
    g_times, g_slant = zero_doppler(orbit, g_ecef, 0.0)
    sat = orbit.state(g_times)[0]
    to_sat = _unit(sat - g_ecef)
    _, _, up = _enu(np.asarray(g_lon), np.asarray(g_lat))
    incidence = np.degrees(np.arccos(np.einsum("ij,ij->i", to_sat, up)))
    nadir = -_unit(sat)
    elevation = np.degrees(np.arccos(np.einsum("ij,ij->i", -to_sat, nadir)))
    geolocation = {
        "line": gl.ravel().astype(int),
        "pixel": gp.ravel().astype(int),
        "offset_s": g_times,
        "slant_time": 2 * g_slant / SPEED_OF_LIGHT,
        "lat": np.asarray(g_lat),
        "lon": np.asarray(g_lon),
        "height": g_h,
        "incidence": incidence,
        "elevation": elevation,
    }

    # what each pixel sees: parcel, texture and the local incidence angle (look vector · terrain normal)
    index = world.parcel_index_at(px, py)
    texture = world.texture_at(px, py)
    d = 2.5
    dh_dx = (world.orthometric_height(px + d, py) - world.orthometric_height(px - d, py)) / (2 * d)
    dh_dy = (world.orthometric_height(px, py + d) - world.orthometric_height(px, py - d)) / (2 * d)
    p_lon, p_lat = to_geo.transform(px, py)
    p_lon, p_lat = np.asarray(p_lon), np.asarray(p_lat)
    east, north, up = _enu(p_lon, p_lat)
    # map grid north differs from true north by the UTM convergence (< 1°), negligible for the normal
    normal = _unit(-dh_dx[..., None] * east - dh_dy[..., None] * north + up)
    line_sat = orbit.state(first + np.arange(lines) * interval)[0]
    target = geodetic_to_ecef(p_lon, p_lat, world.ellipsoidal_height(px, py))
    los = _unit(line_sat[:, None, :] - target)
    cos_local = np.einsum("...i,...i->...", los, normal).astype(np.float32)

    centre_vel = velocities[len(offsets) // 2]
    c_lon, c_lat, _ = ecef_to_geodetic(positions[len(offsets) // 2])
    ve, vn, _ = _enu(np.asarray(c_lon), np.asarray(c_lat))
    heading = math.degrees(math.atan2(float(centre_vel @ ve), float(centre_vel @ vn)))
    return TrackGeometry(
        relative_orbit=relative_orbit,
        orbit_offsets=offsets,
        positions=positions,
        velocities=velocities,
        first_line_offset=first,
        azimuth_time_interval=interval,
        lines=lines,
        samples=samples,
        conversion_sr0=sr0,
        srgr=srgr,
        grsr=grsr,
        geolocation=geolocation,
        x=px.astype(np.float32),
        y=py.astype(np.float32),
        index=index,
        texture=texture,
        cos_local=cos_local,
        incidence_mid=float(np.median(incidence)),
        heading_deg=heading,
        node_offset=node_offset,
    )


def _vector_lines(lines: int, step: int) -> np.ndarray:
    return np.unique(np.r_[np.arange(0, lines, step), lines - 1])


def calibration_lut(lines: int, samples: int) -> Lut:
    """sigmaNought LUT varying smoothly across range (about 700 → 590), as in real IW GRD products."""
    vector_lines = _vector_lines(lines, max(lines // 8, 1))
    pixels = np.unique(np.r_[np.arange(0, samples, 40), samples - 1]).astype(float)
    values = 700.0 - 110.0 * pixels / max(samples - 1, 1)
    return Lut(vector_lines, [pixels] * len(vector_lines), [values * (1 + 0.001 * k) for k in range(len(vector_lines))])


def noise_luts(lines: int, samples: int) -> NoiseLuts:
    """IPF ≥ 2.9 noise: range LUT with sub-swath scalloping × three azimuth blocks (IW1–IW3)."""
    vector_lines = _vector_lines(lines, max(lines // 8, 1))
    pixels = np.unique(np.r_[np.arange(0, samples, 40), samples - 1]).astype(float)
    values = 950.0 + 260.0 * np.cos(2 * np.pi * pixels / 640.0) ** 2
    bounds = np.linspace(0, samples, 4).astype(int)
    blocks = []
    for k in range(3):
        block_lines = _vector_lines(lines, 50).astype(float)
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
    return NoiseLuts(Lut(vector_lines, [pixels] * len(vector_lines), [values] * len(vector_lines)), blocks)


def interpolate_lut(lut: Lut, lines: int, samples: int) -> np.ndarray:
    """Bilinear interpolation of a sparse LUT onto the full (lines, samples) image."""
    cols = np.arange(samples)
    per_vector = np.stack([np.interp(cols, p, v) for p, v in zip(lut.pixels, lut.values, strict=True)])
    rows = np.arange(lines)
    k = np.clip(np.searchsorted(lut.lines, rows, side="right") - 1, 0, len(lut.lines) - 2)
    span = (lut.lines[k + 1] - lut.lines[k]).astype(float)
    w = ((rows - lut.lines[k]) / span)[:, None]
    return per_vector[k] * (1 - w) + per_vector[k + 1] * w


def noise_power(noise: NoiseLuts, lines: int, samples: int) -> np.ndarray:
    """Thermal noise power N (DN²) on the image: range LUT × azimuth LUT of the sub-swath block."""
    power = interpolate_lut(noise.range, lines, samples)
    rows = np.arange(lines)
    for block in noise.azimuth:
        values = np.interp(rows, block.lines, block.values)
        span = slice(block.first_sample, block.last_sample + 1)
        power[block.first_line : block.last_line + 1, span] *= values[block.first_line : block.last_line + 1, None]
    return power


def radar_sigma0(world: World, geometry: TrackGeometry, day: date, pol: str) -> np.ndarray:
    """World σ0 (linear power) seen by each radar pixel of the track's image on ``day``."""
    ndvi = world.ndvi_of(day, geometry.index, geometry.texture)
    return world.sigma0(day, geometry.index, ndvi, geometry.cos_local, pol)


def digital_numbers(
    sigma0: np.ndarray, cal: np.ndarray, noise: np.ndarray, rng: np.random.Generator, border_noise: bool = False
) -> np.ndarray:
    """uint16 DN of σ0 with gamma speckle and exponential thermal noise.

    The border columns are 0 (no data), as IPF ≥ 2.90 writes them; with ``border_noise`` the
    image edges (:func:`border_noise_region`) hold low DN instead, as older IPF versions left them.
    """
    speckle = rng.standard_gamma(ENL, sigma0.shape, dtype=np.float32) / ENL
    power = sigma0 * speckle * cal**2 + noise * rng.standard_exponential(sigma0.shape, dtype=np.float32)
    dn = np.clip(np.rint(np.sqrt(power)), 1, 65535).astype(np.uint16)
    if border_noise:
        region = border_noise_region(*dn.shape)
        dn[region] = rng.integers(1, BORDER_NOISE_MAX_DN + 1, int(region.sum()), dtype=np.uint16)
    else:
        dn[:, :BORDER_SAMPLES] = 0
        dn[:, -BORDER_SAMPLES:] = 0
    return dn


def border_noise_region(lines: int, samples: int) -> np.ndarray:
    """Boolean (lines, samples): where the demo's products before IPF 2.90 carry border noise."""
    region = np.zeros((lines, samples), dtype=bool)
    region[: BORDER_NOISE_LINES[0]] = True
    region[lines - BORDER_NOISE_LINES[1] :] = True
    region[:, : BORDER_NOISE_SAMPLES[0]] = True
    region[:, samples - BORDER_NOISE_SAMPLES[1] :] = True
    return region


def legacy_noise(noise: NoiseLuts) -> NoiseLuts:
    """The IPF < 2.9 form of ``noise``: its range vectors alone, no azimuth blocks."""
    return NoiseLuts(noise.range, [])


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
    scenes = sorted(scenes, key=lambda s: s.start)
    return scenes if spec.s1_max_scenes is None else scenes[: spec.s1_max_scenes]


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
        ("platformHeading", f"{g.heading_deg:.15e}"),
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
        ("ascendingNodeTime", _ts(t0 - timedelta(seconds=g.node_offset))),
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


def noise_xml(
    scene: Scene, pol: str, number: int, g: TrackGeometry, t0: datetime, noise: NoiseLuts, legacy: bool = False
) -> bytes:
    """Noise annotation: ``noiseRangeVectorList`` + ``noiseAzimuthVectorList`` (IPF ≥ 2.9), or with
    ``legacy`` the single ``noiseVectorList`` of ``noiseLut`` vectors of older IPF versions."""
    root = etree.Element("noise")
    first = t0 + timedelta(seconds=g.first_line_offset)
    _header(
        root, scene.mission, pol, first, first + timedelta(seconds=25), scene.absolute_orbit, scene.data_take, number
    )
    list_tag, vector_tag, values_tag = (
        ("noiseVectorList", "noiseVector", "noiseLut")
        if legacy
        else ("noiseRangeVectorList", "noiseRangeVector", "noiseRangeLut")
    )
    ranges = _sub(root, list_tag, count=len(noise.range.lines))
    for line, pixels, values in zip(noise.range.lines, noise.range.pixels, noise.range.values, strict=True):
        v = _sub(ranges, vector_tag)
        _sub(v, "azimuthTime", _ts(first + timedelta(seconds=float(line) * g.azimuth_time_interval)))
        _sub(v, "line", int(line))
        _sub(v, "pixel", " ".join(str(int(p)) for p in pixels), count=len(pixels))
        _sub(v, values_tag, _nums(values), count=len(values))
    if legacy:
        return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
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


def manifest_xml(
    scene: Scene,
    g: TrackGeometry,
    files: dict[str, bytes],
    first: datetime,
    last: datetime,
    ipf_version: str = "003.52",
) -> bytes:
    """manifest.safe in the layout of ESA's IW GRD products (the sections readers use)."""
    root = etree.Element(
        _q("xfdu", "XFDU"), nsmap=MANIFEST_NS, version="esa/safe/sentinel-1.0/sentinel-1/sar/level-1/standard/iwdp"
    )
    meta = etree.SubElement(root, "metadataSection")
    processing = etree.SubElement(_wrapped(meta, "processing"), _q("safe", "processing"), name="GRD Post Processing")
    etree.SubElement(processing, _q("safe", "facility"), name="Copernicus S1 Core Ground Segment", organisation="ESA")
    etree.SubElement(processing, _q("safe", "software"), name="Sentinel-1 IPF", version=ipf_version)
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
    etree.SubElement(props, _q("s1", "ascendingNodeTime")).text = _ts(
        first - timedelta(seconds=g.first_line_offset + g.node_offset)
    )
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


#: How write_product packs a product. ``zip_compact`` (the default): tiled, deflate-compressed TIFFs
#: stored in the zip, small and cheap to read in place. ``zip_stored``: uncompressed TIFFs (as ESA
#: writes them) stored in the zip. ``zip_deflated``: uncompressed TIFFs deflated by the zip, as ASF's
#: zips hold them. ``cog``: the Copernicus Data Space Ecosystem's COG product, ``<name>_COG.SAFE`` in
#: ``<name>_COG.zip``, whose files end ``-cog.tiff`` (ZSTD Cloud-Optimized GeoTIFF) and ``-cog.xml``.
ProductLayout = Literal["zip_compact", "zip_stored", "zip_deflated", "cog"]
PRODUCT_LAYOUTS: tuple[str, ...] = ("zip_compact", "zip_stored", "zip_deflated", "cog")
TiffForm = Literal["tiled_deflate", "plain", "cog"]
_TIFF_FORM = {"zip_compact": "tiled_deflate", "zip_stored": "plain", "zip_deflated": "plain", "cog": "cog"}
_TIFF_OPTIONS = {
    "tiled_deflate": {"driver": "GTiff", "tiled": True, "blockxsize": 256, "blockysize": 256, "compress": "deflate"},
    "plain": {"driver": "GTiff"},
    # the options of the Data Space's conversion: 1024-pixel blocks, ZSTD, no data 0, RMS overviews
    "cog": {"driver": "COG", "blocksize": 1024, "compress": "zstd", "nodata": 0, "overview_resampling": "rms"},
}


def measurement_tiff(dn: np.ndarray, geolocation: dict, form: TiffForm = "tiled_deflate") -> bytes:
    """uint16 GeoTIFF in radar geometry with the geolocation grid as GCPs (as in real GRDs).

    ``form``: ``tiled_deflate`` (256-pixel tiles, deflate), ``plain`` (uncompressed strips, as in
    ESA's products) or ``cog`` (ZSTD Cloud-Optimized GeoTIFF with overviews, as in COG products).
    """
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
            width=dn.shape[1],
            height=dn.shape[0],
            count=1,
            dtype="uint16",
            gcps=gcps,
            crs="EPSG:4326",
            **_TIFF_OPTIONS[form],
        ) as dst:
            dst.write(dn, 1)
        return mem.read()


def write_product(
    world: World,
    scene: Scene,
    g: TrackGeometry,
    out_dir: Path,
    rng: np.random.Generator,
    ipf_version: str = "003.52",
    layout: ProductLayout = "zip_compact",
) -> Path:
    """Write one zipped SAFE product (atomically); return its path.

    ``layout`` packs it as :data:`ProductLayout` describes; the images and XML are the same in each.

    ``ipf_version`` below 2.90 writes the products of that time: the legacy noise annotation
    (``noiseVectorList``) and GRD border noise along the image edges.
    """
    legacy = float(ipf_version) < FIXED_BORDER_IPF
    # the scene centre time t0 is placed so that the first image line is the scene's start time
    t0 = scene.start - timedelta(seconds=g.first_line_offset)
    lut = calibration_lut(g.lines, g.samples)
    noise = legacy_noise(noise_luts(g.lines, g.samples)) if legacy else noise_luts(g.lines, g.samples)
    cal = interpolate_lut(lut, g.lines, g.samples).astype(np.float32)
    thermal = noise_power(noise, g.lines, g.samples).astype(np.float32)
    if layout not in PRODUCT_LAYOUTS:
        raise ValueError(f"unknown product layout {layout!r}; use one of {', '.join(PRODUCT_LAYOUTS)}")
    suffix = "-cog" if layout == "cog" else ""
    product = f"{scene.name}_COG" if layout == "cog" else scene.name
    safe = f"{product}.SAFE"
    files: dict[str, bytes] = {}
    for number, pol in ((1, "VV"), (2, "VH")):
        stem = scene.file_stem(pol, number) + suffix
        sigma = radar_sigma0(world, g, scene.day, pol)
        dn = digital_numbers(sigma, cal, thermal, rng, border_noise=legacy)
        files[f"measurement/{stem}.tiff"] = measurement_tiff(dn, g.geolocation, _TIFF_FORM[layout])
        files[f"annotation/{stem}.xml"] = annotation_xml(scene, pol, number, g, t0)
        files[f"annotation/calibration/calibration-{stem}.xml"] = calibration_xml(scene, pol, number, g, t0, lut)
        files[f"annotation/calibration/noise-{stem}.xml"] = noise_xml(scene, pol, number, g, t0, noise, legacy)
    first = t0 + timedelta(seconds=g.first_line_offset)
    last = first + timedelta(seconds=(g.lines - 1) * g.azimuth_time_interval)
    manifest = manifest_xml(scene, g, files, first, last, ipf_version)
    path = out_dir / f"{product}.zip"
    tiff_method = zipfile.ZIP_DEFLATED if layout == "zip_deflated" else zipfile.ZIP_STORED
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        stamp = scene.start.timetuple()[:6]
        archive.writestr(zipfile.ZipInfo(f"{safe}/manifest.safe", date_time=stamp), manifest, zipfile.ZIP_DEFLATED)
        for name, data in sorted(files.items()):
            # compressed TIFFs are stored: deflating them again would gain nothing
            method = tiff_method if name.endswith(".tiff") else zipfile.ZIP_DEFLATED
            archive.writestr(zipfile.ZipInfo(f"{safe}/{name}", date_time=stamp), data, method)
    with atomic_path(path) as tmp:
        tmp.write_bytes(buffer.getvalue())
    return path
