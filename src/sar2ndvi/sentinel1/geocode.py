"""Range-Doppler terrain correction of GRD σ0 onto an area grid (SNAP's Terrain-Correction equivalent).

For every pixel of the area grid, oversampled by an integer factor, the ground point (x, y, DEM
height above the WGS 84 ellipsoid) is converted to ECEF; its zero-Doppler azimuth time and slant
range follow from the orbit state vectors; time gives the image line, and slant range the ground
range (the annotation's srgr polynomial, interpolated in azimuth time) and so the image pixel. σ0,
calibrated and noise-removed on just the radar window that the area needs, is sampled bilinearly
there, and the oversampled grid is averaged in linear power onto the area grid with GDAL
(rasterio.warp, average resampling).

The geometry is solved exactly on a coarse lattice (every ``lattice`` oversampled pixels) at the
lowest and highest DEM height and interpolated: line and pixel are smooth in x and y and almost
linear in height, so this costs a few thousand zero-Doppler solutions instead of millions, with an
interpolation error of a few thousandths of a pixel.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from pyproj import Transformer
from rasterio.warp import Resampling, reproject
from scipy.ndimage import map_coordinates

from sar2ndvi.grid import AreaGrid
from sar2ndvi.sentinel1.calibration import NegativeRule, sigma0_window
from sar2ndvi.sentinel1.geometry import SPEED_OF_LIGHT, Orbit, geodetic_to_ecef, zero_doppler
from sar2ndvi.sentinel1.safe import ImageInfo, RangeConversion, SafeProduct, relative_orbit


@dataclass
class GeocodedSigma0:
    """σ0 on an area grid: (polarisations, rows, cols) float32 linear power, NaN = no data."""

    sigma0: np.ndarray
    polarisations: tuple[str, ...]
    metadata: dict = field(default_factory=dict)

    @property
    def valid_fraction(self) -> float:
        return float(np.isfinite(self.sigma0).all(axis=0).mean())


def ground_range(conv: RangeConversion, seconds: np.ndarray, epoch: np.datetime64, slant: np.ndarray) -> np.ndarray:
    """Ground range (m) of slant ranges (m) at azimuth times (s since ``epoch``), srgr interpolated in time."""
    times = (conv.azimuth_time - epoch) / np.timedelta64(1, "s")
    if len(times) == 1:
        upper = np.zeros(seconds.shape, int)
        lower, weight = upper, np.zeros(seconds.shape)
    else:
        upper = np.clip(np.searchsorted(times, seconds), 1, len(times) - 1)
        lower = upper - 1
        weight = np.clip((seconds - times[lower]) / (times[upper] - times[lower]), 0.0, 1.0)

    def horner(k: np.ndarray) -> np.ndarray:
        d = slant - conv.sr0[k]
        out = np.zeros_like(slant)
        for i in range(conv.srgr.shape[1] - 1, -1, -1):
            out = out * d + conv.srgr[k, i]
        return out

    return horner(lower) * (1.0 - weight) + horner(upper) * weight


def line_pixel(
    orbit: Orbit,
    first_line_time: np.datetime64,
    azimuth_time_interval: float,
    range_pixel_spacing: float,
    lines: int,
    conversion: RangeConversion,
    targets: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Image (line, pixel) of ECEF ``targets`` (..., 3) for a GRD image geometry."""
    first = orbit.seconds(first_line_time)
    guess = first + 0.5 * lines * azimuth_time_interval
    seconds, slant = zero_doppler(orbit, targets, guess)
    line = (seconds - first) / azimuth_time_interval
    pixel = ground_range(conversion, seconds, orbit.epoch, slant) / range_pixel_spacing
    return line, pixel


def radar_coordinates(
    product: SafeProduct, pol: str, lon: np.ndarray, lat: np.ndarray, height: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Image (line, pixel) of ground points given in degrees and ellipsoidal metres (any shape)."""
    info: ImageInfo = product.image_info(pol)
    return line_pixel(
        product.orbit(pol),
        info.first_line_time,
        info.azimuth_time_interval,
        info.range_pixel_spacing,
        info.lines,
        product.range_conversion(pol),
        geodetic_to_ecef(lon, lat, height),
    )


def _upsample(values: np.ndarray, shape: tuple[int, int], factor: int) -> np.ndarray:
    rows = (np.arange(shape[0]) + 0.5) / factor - 0.5
    cols = (np.arange(shape[1]) + 0.5) / factor - 0.5
    rr, cc = np.meshgrid(rows, cols, indexing="ij")
    return map_coordinates(values, [rr, cc], order=1, mode="nearest")


def grid_line_pixel(
    solve: Callable[[np.ndarray, np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]],
    grid: AreaGrid,
    oversample: int,
    heights: np.ndarray | None,
    lattice: int = 8,
) -> tuple[np.ndarray, np.ndarray]:
    """Radar (line, pixel) of every pixel centre of ``grid`` oversampled by ``oversample``.

    ``solve(lon, lat, h)`` gives exact radar coordinates; it is called on a lattice every ``lattice``
    fine pixels at the lowest and highest of ``heights`` (ellipsoidal m on the fine grid; None = 0 m),
    and the result is interpolated bilinearly in the plane and linearly in height.
    """
    fine_shape = (grid.height * oversample, grid.width * oversample)
    step = grid.resolution / oversample
    lat_rows = np.unique(np.r_[np.arange(0, fine_shape[0], lattice), fine_shape[0] - 1])
    lat_cols = np.unique(np.r_[np.arange(0, fine_shape[1], lattice), fine_shape[1] - 1])
    xx, yy = np.meshgrid(grid.x_min + (lat_cols + 0.5) * step, grid.y_max - (lat_rows + 0.5) * step)
    lon, lat = Transformer.from_crs(grid.crs, "EPSG:4326", always_xy=True).transform(xx, yy)
    levels = [0.0] if heights is None else [float(np.nanmin(heights)) - 1.0, float(np.nanmax(heights)) + 1.0]
    solved = [solve(lon, lat, np.full(lon.shape, h)) for h in levels]
    fine_r = np.interp(np.arange(fine_shape[0]), lat_rows, np.arange(len(lat_rows)))
    fine_c = np.interp(np.arange(fine_shape[1]), lat_cols, np.arange(len(lat_cols)))
    rr, cc = np.meshgrid(fine_r, fine_c, indexing="ij")

    def at_fine(values: np.ndarray) -> np.ndarray:
        return map_coordinates(values, [rr, cc], order=1, mode="nearest")

    if len(levels) == 1:
        return at_fine(solved[0][0]), at_fine(solved[0][1])
    w = (heights - levels[0]) / (levels[1] - levels[0])
    line = at_fine(solved[0][0]) * (1 - w) + at_fine(solved[1][0]) * w
    pixel = at_fine(solved[0][1]) * (1 - w) + at_fine(solved[1][1]) * w
    return line, pixel


def geocode_sigma0(
    product_path,
    grid: AreaGrid,
    dem_heights: np.ndarray,
    polarisations: tuple[str, ...] = ("VV", "VH"),
    oversample: int = 2,
    noise_removal: bool = True,
    negative: NegativeRule = "clip",
    negative_floor: float = 1e-5,
    terrain_correction: bool = True,
    allow_legacy_noise: bool = False,
    lattice: int = 8,
    margin: int = 4,
) -> GeocodedSigma0:
    """Terrain-corrected σ0 of a GRD product on ``grid``.

    Args:
        product_path: GRD ``.zip`` or ``.SAFE`` folder.
        grid: the target grid (projected CRS).
        dem_heights: heights above the WGS 84 ellipsoid (m) on ``grid``.
        polarisations: bands to produce.
        oversample: geocode on a grid this many times finer, then average in linear power.
        noise_removal, negative, negative_floor, allow_legacy_noise: see :mod:`.calibration`.
        terrain_correction: False geocodes onto the ellipsoid (height 0), to show the terrain's effect.
        lattice: spacing (oversampled pixels) of the exactly solved geometry lattice.
        margin: radar pixels read beyond the area's footprint.

    Returns:
        σ0 (len(polarisations), rows, cols), float32 linear power, NaN where the scene has no data.
    """
    product = SafeProduct(product_path)
    if dem_heights.shape != grid.shape:
        raise ValueError(f"DEM of shape {dem_heights.shape} is not on grid {grid.name!r} {grid.shape}")
    fine_shape = (grid.height * oversample, grid.width * oversample)
    heights = _upsample(dem_heights.astype(np.float64), fine_shape, oversample) if terrain_correction else None
    ref_pol = polarisations[0]
    line, pixel = grid_line_pixel(
        lambda lon, lat, h: radar_coordinates(product, ref_pol, lon, lat, h), grid, oversample, heights, lattice
    )
    info = product.image_info(ref_pol)
    r0 = int(max(np.floor(line.min()) - margin, 0))
    r1 = int(min(np.ceil(line.max()) + margin + 1, info.lines))
    c0 = int(max(np.floor(pixel.min()) - margin, 0))
    c1 = int(min(np.ceil(pixel.max()) + margin + 1, info.samples))
    out = np.full((len(polarisations), *grid.shape), np.nan, dtype=np.float32)
    metadata = {
        "mission": info.mission,
        "pass": info.pass_direction,
        "absolute_orbit": info.absolute_orbit,
        "relative_orbit": relative_orbit(info.mission, info.absolute_orbit),
        "acquisition_start": str(info.first_line_time),
        "ipf_version": product.ipf_version,
        "terrain_correction": terrain_correction,
        "noise_removal": noise_removal,
        "radar_window": [r0, c0, max(r1 - r0, 0), max(c1 - c0, 0)],
    }
    if r1 <= r0 or c1 <= c0:
        return GeocodedSigma0(out, tuple(polarisations), metadata)
    inside = (line >= -0.5) & (line <= info.lines - 0.5) & (pixel >= -0.5) & (pixel <= info.samples - 0.5)
    fine_transform = grid.transform * grid.transform.scale(1.0 / oversample)
    for band, pol in enumerate(polarisations):
        sigma0 = sigma0_window(
            product, pol, (r0, c0, r1 - r0, c1 - c0), noise_removal, negative, negative_floor, allow_legacy_noise
        )
        fine = map_coordinates(
            sigma0.astype(np.float64), [line - r0, pixel - c0], order=1, mode="constant", cval=np.nan
        ).astype(np.float32)
        fine[~inside] = np.nan
        reproject(
            source=fine,
            destination=out[band],
            src_transform=fine_transform,
            src_crs=grid.crs,
            src_nodata=np.nan,
            dst_transform=grid.transform,
            dst_crs=grid.crs,
            dst_nodata=np.nan,
            resampling=Resampling.average,
        )
    return GeocodedSigma0(out, tuple(polarisations), metadata)


__all__ = ["SPEED_OF_LIGHT", "GeocodedSigma0", "geocode_sigma0", "ground_range", "line_pixel", "radar_coordinates"]
