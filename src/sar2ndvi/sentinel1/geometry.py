"""Orbit and zero-Doppler geometry on the WGS 84 ellipsoid.

Times are float seconds since an orbit's ``epoch`` (UTC, ``numpy.datetime64[ns]``); positions are
ECEF metres (EPSG:4978), velocities metres per second. Heights are above the WGS 84 ellipsoid.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from pyproj import Transformer

if TYPE_CHECKING:
    from scipy.interpolate import CubicHermiteSpline

SPEED_OF_LIGHT = 299_792_458.0  # m/s

_TO_ECEF = Transformer.from_crs("EPSG:4979", "EPSG:4978", always_xy=True)
_TO_GEODETIC = Transformer.from_crs("EPSG:4978", "EPSG:4979", always_xy=True)


def geodetic_to_ecef(lon: np.ndarray, lat: np.ndarray, height: np.ndarray) -> np.ndarray:
    """ECEF coordinates (..., 3) in metres of points given in degrees and ellipsoidal metres."""
    x, y, z = _TO_ECEF.transform(np.asarray(lon, float), np.asarray(lat, float), np.asarray(height, float))
    return np.stack([x, y, z], axis=-1)


def ecef_to_geodetic(xyz: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(lon, lat, height) in degrees and ellipsoidal metres of ECEF points (..., 3)."""
    xyz = np.asarray(xyz, float)
    lon, lat, h = _TO_GEODETIC.transform(xyz[..., 0], xyz[..., 1], xyz[..., 2])
    return np.asarray(lon), np.asarray(lat), np.asarray(h)


@dataclass(frozen=True)
class Orbit:
    """Orbit state vectors, interpolated with cubic Hermite splines (positions and velocities).

    Attributes:
        epoch: UTC time that ``times`` count from.
        times: seconds since ``epoch``, strictly increasing, shape (n,).
        positions: ECEF metres, shape (n, 3).
        velocities: ECEF metres per second, shape (n, 3).
    """

    epoch: np.datetime64
    times: np.ndarray
    positions: np.ndarray
    velocities: np.ndarray

    def __post_init__(self) -> None:
        if len(self.times) < 4:
            raise ValueError(f"an orbit needs at least 4 state vectors, got {len(self.times)}")
        if np.any(np.diff(self.times) <= 0):
            raise ValueError("orbit state vector times must be strictly increasing")

    def seconds(self, utc: np.ndarray | np.datetime64) -> np.ndarray:
        """Seconds since ``epoch`` of UTC datetime64 values."""
        return (np.asarray(utc, "datetime64[ns]") - self.epoch) / np.timedelta64(1, "s")

    def _spline(self) -> CubicHermiteSpline:
        # imported here: jobs that only read a product's metadata start faster without SciPy
        from scipy.interpolate import CubicHermiteSpline

        return CubicHermiteSpline(self.times, self.positions, self.velocities, axis=0)

    def state(self, t: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Position (m), velocity (m/s) and acceleration (m/s²) at times ``t`` (s), each (..., 3)."""
        t = np.asarray(t, float)
        if np.any(t < self.times[0] - 1.0) or np.any(t > self.times[-1] + 1.0):
            raise ValueError(
                "time outside the orbit state vectors "
                f"[{self.times[0]:.1f}, {self.times[-1]:.1f}] s; the product's orbit list does not cover it"
            )
        spline = self._spline()
        return spline(t), spline(t, 1), spline(t, 2)


def zero_doppler(
    orbit: Orbit,
    targets: np.ndarray,
    t_guess: float | np.ndarray,
    iterations: int = 8,
    tolerance: float = 1e-7,
) -> tuple[np.ndarray, np.ndarray]:
    """Zero-Doppler azimuth time and slant range of ECEF targets.

    Solves (P − S(t))·V(t) = 0 for t by Newton's method: the time at which the satellite
    S(t) is closest to the target P.

    Args:
        orbit: the satellite orbit.
        targets: ECEF metres, shape (..., 3).
        t_guess: first guess of the time, seconds since ``orbit.epoch`` (scalar or per target).
        iterations: maximum Newton steps.
        tolerance: stop once every time step is below this, seconds.

    Returns:
        (t, slant_range): seconds since ``orbit.epoch`` and metres, each of shape targets.shape[:-1].
    """
    targets = np.asarray(targets, float)
    t = np.broadcast_to(np.asarray(t_guess, float), targets.shape[:-1]).copy()
    spline = orbit._spline()
    for _ in range(iterations):
        pos, vel, acc = spline(t), spline(t, 1), spline(t, 2)
        los = targets - pos
        f = np.einsum("...i,...i->...", los, vel)
        df = np.einsum("...i,...i->...", los, acc) - np.einsum("...i,...i->...", vel, vel)
        step = f / df
        t -= step
        if np.nanmax(np.abs(step), initial=0.0) < tolerance:
            break
    pos = spline(t)
    return t, np.linalg.norm(targets - pos, axis=-1)
