"""Radiometric terrain flattening: γ0_T by area projection (Small, 2011), for the σ0 step's ground grid.

    γ0_T = β0 · A_β / A_γ

- A_γ, the illuminated area a radar pixel sees: every cell of the (oversampled) ground grid is a
  terrain facet with area vector a (m², normal times area, from the DEM), seen along the unit look
  vector l from the ground to the satellite at the cell's zero-Doppler time; its area projected onto
  the plane perpendicular to the look direction is max(a · l, 0). These are splatted bilinearly into
  radar geometry at the cells' (line, pixel) and summed, so foreshortened slopes that crowd into one
  radar pixel add up, as in the area-projection method; the sum is smoothed over 3 × 3 radar pixels
  against the sampling noise of the splat.
- A_β, the reference area of β0 in the slant plane: azimuth pixel spacing × ground-range pixel spacing
  × sin θ_E, θ_E the incidence angle on the ellipsoid at the cell.

On flat ground A_γ = Δaz · Δg · cos θ_E, so γ0_T = β0 · tan θ_E = σ0_E / cos θ_E, the ellipsoid's
γ0. sarsen offers the same quantity for xarray DEMs (``sarsen.radiometry``); it is written here on
numpy arrays because the σ0 step already holds the cells' ECEF positions, radar coordinates and
satellite positions, and re-deriving them in sarsen's data model would double the geocoding work.
"""

from __future__ import annotations

import numpy as np
from scipy.ndimage import map_coordinates, uniform_filter

from sar2ndvi.sentinel1.geometry import geodetic_to_ecef


def facet_area_vectors(ecef: np.ndarray) -> np.ndarray:
    """Area vectors (m², normal × area) of the cells of a grid of ECEF points (rows, cols, 3).

    The cell's sides are the central differences along the grid's columns and rows; rows run north
    to south, columns west to east, so (∂P/∂col) × (−∂P/∂row) points up.
    """
    d_col = np.gradient(ecef, axis=1)
    d_row = np.gradient(ecef, axis=0)
    return np.cross(d_col, -d_row)


def splat(values: np.ndarray, line: np.ndarray, pixel: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Sum ``values`` into a (lines, pixels) image at fractional (line, pixel), bilinear weights; NaN skipped."""
    out = np.zeros(shape, np.float64)
    ok = np.isfinite(values) & np.isfinite(line) & np.isfinite(pixel)
    line, pixel, values = line[ok], pixel[ok], values[ok]
    l0, p0 = np.floor(line).astype(int), np.floor(pixel).astype(int)
    fl, fp = line - l0, pixel - p0
    for dl, dp, w in ((0, 0, (1 - fl) * (1 - fp)), (1, 0, fl * (1 - fp)), (0, 1, (1 - fl) * fp), (1, 1, fl * fp)):
        rows, cols = l0 + dl, p0 + dp
        inside = (rows >= 0) & (rows < shape[0]) & (cols >= 0) & (cols < shape[1])
        np.add.at(out, (rows[inside], cols[inside]), (values * w)[inside])
    return out


def gamma_flattening_factor(
    lon: np.ndarray,
    lat: np.ndarray,
    height: np.ndarray,
    satellite: np.ndarray,
    line: np.ndarray,
    pixel: np.ndarray,
    window: tuple[int, int, int, int],
    azimuth_spacing: float,
    range_spacing: float,
    beta_over_sigma: np.ndarray,
    min_area: float = 0.1,
) -> np.ndarray:
    """γ0_T / σ0 for every cell of a ground grid (see the module docstring).

    Args:
        lon, lat, height: the cells' position, degrees (WGS 84) and metres above the ellipsoid,
            (rows, cols); the grid may extend beyond the output area so that radar pixels at its edge
            receive all their facets.
        satellite: ECEF satellite position (m) at each cell's zero-Doppler time, (rows, cols, 3).
        line, pixel: the cells' image coordinates.
        window: (row_off, col_off, rows, cols) of the radar image the cells fall in.
        azimuth_spacing, range_spacing: GRD pixel spacings (m).
        beta_over_sigma: β0 / σ0 of the calibration LUTs at each cell ((A_σ / A_β)²).
        min_area: the smallest illuminated area A_γ, as a fraction of flat ground's (Δaz · Δg ·
            cos θ_E), that is divided by; below it (slopes turned away, shadow edges) the factor would
            multiply noise by tens, so the cell is masked.

    Returns:
        (rows, cols) float64 factor; NaN where the illuminated area is below ``min_area``.
    """
    ecef = geodetic_to_ecef(lon, lat, height)
    to_sensor = satellite - ecef
    look = to_sensor / np.linalg.norm(to_sensor, axis=-1, keepdims=True)
    projected = np.einsum("...i,...i->...", facet_area_vectors(ecef), look).clip(min=0.0)
    row_off, col_off, rows, cols = window
    area = uniform_filter(splat(projected, line - row_off, pixel - col_off, (rows, cols)), 3, mode="nearest")
    simulated = map_coordinates(area, [line - row_off, pixel - col_off], order=1, mode="nearest")
    up = geodetic_to_ecef(lon, lat, height + 1.0) - ecef
    cos_ellipsoid = np.einsum("...i,...i->...", up, look).clip(-1.0, 1.0)
    reference = azimuth_spacing * range_spacing * np.sqrt(1.0 - cos_ellipsoid**2)
    flat = azimuth_spacing * range_spacing * cos_ellipsoid
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(simulated > min_area * flat, beta_over_sigma * reference / simulated, np.nan)


__all__ = ["facet_area_vectors", "gamma_flattening_factor", "splat"]
