"""Range-Doppler terrain correction of GRD σ0 onto an area grid (backward geocoding, as SNAP does).

For every pixel centre of the area grid oversampled by an integer factor, the ground point (x, y in
the grid's projected CRS, height above the WGS 84 ellipsoid from the DEM, bilinearly upsampled) is
converted to lon/lat and to ECEF (EPSG:4978). Its zero-Doppler azimuth time and slant range are solved
by Newton's method on the annotation's orbit, starting from a first guess interpolated from the
annotation's geolocation grid. Time gives the image line, (t − productFirstLineUtcTime) /
azimuthTimeInterval; slant range gives ground range through the srgr polynomials of the
coordinateConversion records (interpolated linearly in azimuth time between the two nearest records)
and so the image pixel, ground range / rangePixelSpacing. σ0, calibrated and noise-removed on only the
radar window that the area needs, is sampled bilinearly at (line, pixel); the oversampled grid is then
averaged in linear power onto the area grid, block by block (each cell the mean of its own
oversample × oversample sub-cells that have a value; no data where none has). GDAL's average
resampling is not used for this: on grids aligned only to floating point it gives a cell a sliver of
its neighbours' sub-cells, so a cell whose sub-cells are all no data (border noise, shadow) took a
neighbour's value.

By default no radiometric terrain flattening is applied: the output is σ0 on the ellipsoid's
reference area; ``radiometry="gamma0_flat"`` gives terrain-flattened γ0 instead
(:mod:`sar2ndvi.sentinel1.flattening`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Literal

import numpy as np
from pyproj import Transformer
from scipy.ndimage import map_coordinates

from sar2ndvi.grid import AreaGrid
from sar2ndvi.sentinel1.border_noise import (
    BORDER_LIMIT,
    TRIM_THRESHOLD,
    BorderNoiseRule,
    removal_needed,
    window_border_mask,
)
from sar2ndvi.sentinel1.calibration import DEFAULT_FLOOR, NegativeRule, interpolate_lut, sigma0_window
from sar2ndvi.sentinel1.flattening import gamma_flattening_factor
from sar2ndvi.sentinel1.geometry import Orbit, geodetic_to_ecef, zero_doppler
from sar2ndvi.sentinel1.safe import (
    CoordinateConversion,
    GeolocationGrid,
    ImageInfo,
    SafeProduct,
    relative_orbit,
)
from sar2ndvi.sentinel1.speckle import SpeckleFilter, apply_speckle_filter
from sar2ndvi.sentinel1.terrain_geometry import LAYERS, block_reduce, layover_shadow_mask, local_incidence_angle

Radiometry = Literal["sigma0", "gamma0_flat"]
RADIOMETRIES: tuple[str, ...] = ("sigma0", "gamma0_flat")
FLATTENING_PAD = 3  # grid pixels of terrain simulated beyond the area for γ0 flattening
_CHUNK = 250_000  # ground points solved at once; bounds memory to some 100 MB


def ground_range(
    conv: CoordinateConversion, seconds: np.ndarray, epoch: np.datetime64, slant: np.ndarray
) -> np.ndarray:
    """Ground range (m) of slant ranges (m) at azimuth times (s since ``epoch``).

    The srgr polynomials of the two records around each time are evaluated and interpolated linearly
    in time (held constant beyond the first and last record).
    """
    seconds = np.asarray(seconds, np.float64)
    slant = np.asarray(slant, np.float64)
    times = (conv.azimuth_time - epoch) / np.timedelta64(1, "s")
    if len(times) == 1:
        lower = upper = np.zeros(seconds.shape, int)
        weight = np.zeros(seconds.shape)
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


def _poly_terms(u: np.ndarray, v: np.ndarray, h: np.ndarray, degree: int) -> np.ndarray:
    """Monomials of (u, v) up to ``degree``, plus h times those up to degree 1 (pixel is near linear in h)."""
    plane = [u**i * v**j for i in range(degree + 1) for j in range(degree + 1 - i)]
    return np.stack([*plane, h, h * u, h * v], axis=-1)


@dataclass(frozen=True)
class RadarGeometry:
    """Everything that maps ground points to image (line, pixel) for one polarisation of a GRD product."""

    orbit: Orbit
    image: ImageInfo
    conversion: CoordinateConversion
    gcp: GeolocationGrid
    fit_degree: int = 3

    @cached_property
    def _fit(self) -> tuple[np.ndarray, np.ndarray]:
        """Least-squares fit of (lon, lat, height) → (line, pixel) over the geolocation grid."""
        lon, lat = self.gcp.longitude, self.gcp.latitude
        centre = np.array([lon.mean(), lat.mean(), 0.0])
        scale = np.array([np.ptp(lon) / 2, np.ptp(lat) / 2, 1000.0])
        norm = np.stack([centre, np.where(scale > 0, scale, 1.0)])
        terms = self._terms(norm, lon, lat, self.gcp.height)
        coefficients, *_ = np.linalg.lstsq(terms, np.stack([self.gcp.line, self.gcp.pixel], axis=1), rcond=None)
        return norm, coefficients

    def _terms(self, norm: np.ndarray, lon: np.ndarray, lat: np.ndarray, height: np.ndarray) -> np.ndarray:
        u, v, h = ((np.asarray(a, float) - norm[0, k]) / norm[1, k] for k, a in enumerate((lon, lat, height)))
        return _poly_terms(u, v, h, self.fit_degree)

    def approximate_line_pixel(
        self, lon: np.ndarray, lat: np.ndarray, height: np.ndarray | float = 0.0
    ) -> tuple[np.ndarray, np.ndarray]:
        """(line, pixel) of ground points from a fit to the geolocation grid alone.

        Within a pixel or so of the exact solution inside the scene (worse outside it); it serves as
        the first guess of the zero-Doppler solution and for the window an area needs.
        """
        lon, lat, height = np.broadcast_arrays(np.asarray(lon, float), np.asarray(lat, float), height)
        norm, coefficients = self._fit
        both = self._terms(norm, lon, lat, height) @ coefficients
        return both[..., 0], both[..., 1]

    def line_pixel(self, lon: np.ndarray, lat: np.ndarray, height: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Image (line, pixel) of ground points: degrees (WGS 84), metres above the ellipsoid, any shape."""
        lon, lat, height = np.broadcast_arrays(
            np.asarray(lon, float), np.asarray(lat, float), np.asarray(height, float)
        )
        first = self.orbit.seconds(self.image.first_line_time)
        guess_line, _ = self.approximate_line_pixel(lon, lat, height)
        guess = first + np.clip(guess_line, -1000, self.image.lines + 1000) * self.image.azimuth_time_interval
        seconds, slant = zero_doppler(self.orbit, geodetic_to_ecef(lon, lat, height), guess)
        line = (seconds - first) / self.image.azimuth_time_interval
        pixel = ground_range(self.conversion, seconds, self.orbit.epoch, slant) / self.image.range_pixel_spacing
        return line, pixel


def radar_geometry(product: SafeProduct, pol: str, orbit: Orbit | None = None) -> RadarGeometry:
    """The :class:`RadarGeometry` of polarisation ``pol`` of ``product`` (``orbit``: instead of the annotation's)."""
    return RadarGeometry(
        orbit=orbit if orbit is not None else product.orbit(pol),
        image=product.image_info(pol),
        conversion=product.coordinate_conversion(pol),
        gcp=product.geolocation_grid(pol),
    )


def radar_coordinates(
    product: SafeProduct, pol: str, lon: np.ndarray, lat: np.ndarray, height: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Image (line, pixel) of ground points given in degrees (WGS 84) and metres above the ellipsoid."""
    return radar_geometry(product, pol).line_pixel(lon, lat, height)


def radar_window(
    geometry: RadarGeometry,
    grid: AreaGrid,
    margin: int = 100,
    heights: tuple[float, float] = (0.0, 0.0),
) -> tuple[int, int, int, int] | None:
    """(row_off, col_off, rows, cols) of the image that covers ``grid``, from the geolocation grid.

    The grid's outline (21 points an edge), at the lowest and highest of ``heights`` (m above the
    ellipsoid), is mapped to (line, pixel) with the geolocation-grid fit; ``margin`` pixels are added
    on every side for terrain displacement inside the outline and the fit's error, and the box is
    clipped to the image. None if the area lies outside the image.
    """
    west, south, east, north = grid.bounds
    edge = np.linspace(0.0, 1.0, 21)
    xs = np.concatenate(
        [west + (east - west) * edge, np.full(21, east), east - (east - west) * edge, np.full(21, west)]
    )
    ys = np.concatenate(
        [
            np.full(21, north),
            north - (north - south) * edge,
            np.full(21, south),
            south + (north - south) * edge,
        ]
    )
    lon, lat = Transformer.from_crs(grid.crs, "EPSG:4326", always_xy=True).transform(xs, ys)
    lon, lat = np.concatenate([lon, lon]), np.concatenate([lat, lat])
    level = np.repeat([float(min(heights)), float(max(heights))], len(xs))
    line, pixel = geometry.approximate_line_pixel(lon, lat, level)
    r0 = max(int(np.floor(line.min())) - margin, 0)
    r1 = min(int(np.ceil(line.max())) + margin + 1, geometry.image.lines)
    c0 = max(int(np.floor(pixel.min())) - margin, 0)
    c1 = min(int(np.ceil(pixel.max())) + margin + 1, geometry.image.samples)
    if r1 <= r0 or c1 <= c0:
        return None
    return r0, c0, r1 - r0, c1 - c0


@dataclass
class GeocodedSigma0:
    """σ0 on an area grid.

    Attributes:
        sigma0: (polarisations, rows, cols) float32 linear power on the grid's CRS, NaN = no data.
        polarisations: band names, e.g. ("VV", "VH").
        metadata: mission, pass, absolute and relative orbit, acquisition start/stop (UTC, ISO 8601),
            IPF version, processing options and the radar windows used.
        layers: terrain layers by name, each (rows, cols) float32
            (:mod:`sar2ndvi.sentinel1.terrain_geometry`).
    """

    sigma0: np.ndarray
    polarisations: tuple[str, ...]
    metadata: dict = field(default_factory=dict)
    layers: dict[str, np.ndarray] = field(default_factory=dict)

    @property
    def valid_fraction(self) -> float:
        """Fraction of grid pixels with a value in every band."""
        return float(np.isfinite(self.sigma0).all(axis=0).mean())

    def __array__(self, dtype=None, copy=None) -> np.ndarray:
        return self.sigma0 if dtype is None else self.sigma0.astype(dtype)


def _upsample(values: np.ndarray, factor: int) -> np.ndarray:
    """Bilinear upsampling by ``factor`` with pixel centres aligned (edges held)."""
    shape = (values.shape[0] * factor, values.shape[1] * factor)
    rows = (np.arange(shape[0]) + 0.5) / factor - 0.5
    cols = (np.arange(shape[1]) + 0.5) / factor - 0.5
    rr, cc = np.meshgrid(rows, cols, indexing="ij")
    return map_coordinates(values, [rr, cc], order=1, mode="nearest")


def cell_centres(grid: AreaGrid, oversample: int) -> tuple[np.ndarray, np.ndarray]:
    """x (columns) and y (rows) of the cell centres of ``grid`` oversampled by ``oversample``, CRS units."""
    step = grid.resolution / oversample
    xs = grid.x_min + (np.arange(grid.width * oversample) + 0.5) * step
    ys = grid.y_max - (np.arange(grid.height * oversample) + 0.5) * step
    return xs, ys


def grid_line_pixel(
    geometry: RadarGeometry, grid: AreaGrid, oversample: int, heights: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Image (line, pixel) of every pixel centre of ``grid`` oversampled by ``oversample``.

    Args:
        heights: m above the WGS 84 ellipsoid on the oversampled grid.

    Returns:
        (line, pixel), each of the oversampled grid's shape; NaN where a height is NaN.
    """
    xs, ys = cell_centres(grid, oversample)
    fine_rows, fine_cols = len(ys), len(xs)
    to_geo = Transformer.from_crs(grid.crs, "EPSG:4326", always_xy=True)
    line = np.empty((fine_rows, fine_cols))
    pixel = np.empty((fine_rows, fine_cols))
    rows_per_chunk = max(1, _CHUNK // fine_cols)
    for start in range(0, fine_rows, rows_per_chunk):
        stop = min(start + rows_per_chunk, fine_rows)
        xx, yy = np.meshgrid(xs, ys[start:stop])
        lon, lat = to_geo.transform(xx, yy)
        line[start:stop], pixel[start:stop] = geometry.line_pixel(lon, lat, heights[start:stop])
    return line, pixel


def _noise_format(product: SafeProduct, pol: str) -> str:
    if product.thermal_noise_removed(pol):
        return "removed by the IPF"
    noise = product.noise_luts(pol)
    kind = "noiseVectorList (IPF < 2.9)" if noise.legacy else "range x azimuth (IPF >= 2.9)"
    return f"{kind}, all zero" if noise.all_zero else kind


def geocode_sigma0(
    product_path: SafeProduct | str,
    grid: AreaGrid,
    dem_heights: np.ndarray,
    polarisations: tuple[str, ...] = ("VV", "VH"),
    oversample: int = 2,
    noise_removal: bool = True,
    negative: NegativeRule = "clip",
    negative_floor: float = DEFAULT_FLOOR,
    terrain_correction: bool = True,
    border_noise: BorderNoiseRule = "auto",
    border_limit: int = BORDER_LIMIT,
    border_threshold: float = TRIM_THRESHOLD,
    margin: int = 100,
    orbit: Orbit | None = None,
    speckle_filter: SpeckleFilter = "none",
    speckle_window: int = 5,
    radiometry: Radiometry = "sigma0",
    min_illuminated_area: float = 0.1,
    layers: tuple[str, ...] = (),
) -> GeocodedSigma0:
    """Terrain-corrected σ0 of a GRD product on ``grid``.

    Args:
        product_path: GRD ``.zip``, ``.SAFE`` folder or an open :class:`SafeProduct`.
        grid: the target grid (north-up, projected CRS).
        dem_heights: heights above the WGS 84 ellipsoid (m) on ``grid``, shape ``grid.shape``; NaN
            heights give NaN σ0.
        polarisations: bands to produce; they share the geometry of the first.
        oversample: geocode on a grid this many times finer, then average in linear power.
        noise_removal, negative, negative_floor: see :mod:`sar2ndvi.sentinel1.calibration`.
        border_noise, border_limit, border_threshold: GRD border-noise masking
            (:mod:`sar2ndvi.sentinel1.border_noise`): ``"auto"`` masks it in products of IPF < 2.90,
            ``"always"`` in every product, ``"never"`` in none; the strip width (pixels) and the
            amplitude threshold (DN) are SNAP's parameters.
        terrain_correction: False geocodes onto the ellipsoid (height 0 everywhere), to show the
            geolocation error that ignoring terrain makes.
        margin: radar pixels added to the geolocation-grid window when checking that the scene
            covers the area.
        orbit: state vectors to use instead of the annotation's, e.g. from a precise orbit file
            (:func:`sar2ndvi.sentinel1.orbit_file.read_orbit_file`).
        speckle_filter, speckle_window: speckle filter applied to σ0 in radar geometry before
            geocoding (:mod:`sar2ndvi.sentinel1.speckle`); "none" by default, since geocoding already
            averages several looks into each 10 m pixel.
        radiometry: ``"sigma0"`` (σ0 on the ellipsoid, the default) or ``"gamma0_flat"`` (γ0 with
            radiometric terrain flattening, :mod:`sar2ndvi.sentinel1.flattening`).
        min_illuminated_area: γ0 flattening masks cells whose illuminated area is below this
            fraction of flat ground's.
        layers: terrain layers to add on the grid (:mod:`sar2ndvi.sentinel1.terrain_geometry`):
            ``"local_incidence_angle"`` (degrees) and ``"layover_shadow_mask"`` (0 clear, 1 shadow,
            2 layover, 3 both); they follow the σ0 bands.

    Returns:
        :class:`GeocodedSigma0`; ``sigma0`` is (len(polarisations), rows, cols) float32 linear power,
        NaN outside the scene, where DN was 0 and on border noise; ``layers`` the terrain layers.

    Raises:
        ValueError: for a missing polarisation, a DEM not on ``grid`` or a bad ``oversample``.
    """
    product = product_path if isinstance(product_path, SafeProduct) else SafeProduct(product_path)
    polarisations = tuple(polarisations)
    if not polarisations:
        raise ValueError("no polarisations requested; give e.g. ('VV', 'VH')")
    for pol in polarisations:
        product.measurement_path(pol)
    dem_heights = np.asarray(dem_heights, np.float64)
    if dem_heights.shape != grid.shape:
        raise ValueError(f"DEM of shape {dem_heights.shape} is not on grid {grid.name!r} of shape {grid.shape}")
    unknown = sorted(set(layers) - set(LAYERS))
    if unknown:
        raise ValueError(f"unknown terrain layer(s) {unknown}; use {', '.join(LAYERS)}")
    if radiometry not in RADIOMETRIES:
        raise ValueError(f"unknown radiometry {radiometry!r}; use one of {', '.join(RADIOMETRIES)}")
    if int(oversample) != oversample or oversample < 1:
        raise ValueError(f"oversample must be a positive integer, got {oversample!r}")
    oversample = int(oversample)

    info = product.info
    mask_border_noise = removal_needed(border_noise, info.ipf_version)
    geometry = radar_geometry(product, polarisations[0], orbit)
    out = np.full((len(polarisations), *grid.shape), np.nan, dtype=np.float32)
    metadata: dict = {
        "mission": info.mission,
        "pass": info.pass_direction,
        "absolute_orbit": info.absolute_orbit,
        "relative_orbit": relative_orbit(info.mission, info.absolute_orbit),
        "acquisition_start": str(info.start_time),
        "acquisition_stop": str(info.stop_time),
        "ipf_version": info.ipf_version,
        "terrain_correction": terrain_correction,
        "noise_removal": noise_removal,
        "noise_format": _noise_format(product, polarisations[0]) if noise_removal else "none",
        "border_noise_removal": mask_border_noise,
        "negative": negative,
        "oversample": oversample,
        "radiometry": radiometry,
        "orbit": "annotation" if orbit is None else f"external, from {orbit.epoch}",
        "speckle_filter": speckle_filter
        if speckle_filter == "none"
        else f"{speckle_filter} {speckle_window}x{speckle_window}",
    }
    finite = dem_heights[np.isfinite(dem_heights)] if terrain_correction else np.zeros(1)
    span = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 0.0)
    coarse = radar_window(geometry, grid, margin, span)
    metadata["geolocation_window"] = list(coarse) if coarse else None
    if coarse is None:
        metadata["radar_window"] = None
        return GeocodedSigma0(out, polarisations, metadata, _no_layers(grid, layers))

    if terrain_correction:
        heights = _upsample(dem_heights, oversample)
    else:
        heights = np.zeros((grid.height * oversample, grid.width * oversample))
    if radiometry == "gamma0_flat":
        # the terrain simulation needs cells beyond the area (heights held at its edge) so that the
        # radar pixels at its border receive all their facets; the area's cells are its interior
        edge = FLATTENING_PAD * oversample
        padded_heights = np.pad(heights, edge, mode="edge")
        padded = grid.padded(FLATTENING_PAD)
        padded_line, padded_pixel = grid_line_pixel(geometry, padded, oversample, padded_heights)
        line, pixel = padded_line[edge:-edge, edge:-edge], padded_pixel[edge:-edge, edge:-edge]
    else:
        line, pixel = grid_line_pixel(geometry, grid, oversample, heights)
    image = geometry.image
    inside = (line >= -0.5) & (line <= image.lines - 0.5) & (pixel >= -0.5) & (pixel <= image.samples - 0.5)
    if not inside.any():
        metadata["radar_window"] = None
        return GeocodedSigma0(out, polarisations, metadata, _no_layers(grid, layers))
    # read the exact footprint (±1 pixel for the bilinear neighbours, plus the speckle filter's reach),
    # not the looser geolocation window
    reach = 1 + (speckle_window // 2 if speckle_filter != "none" else 0)
    r0 = max(int(np.floor(line[inside].min())) - reach, 0)
    r1 = min(int(np.ceil(line[inside].max())) + reach + 1, image.lines)
    c0 = max(int(np.floor(pixel[inside].min())) - reach, 0)
    c1 = min(int(np.ceil(pixel[inside].max())) + reach + 1, image.samples)
    window = (r0, c0, r1 - r0, c1 - c0)
    metadata["radar_window"] = list(window)

    flattening = None
    if radiometry == "gamma0_flat":
        factor = _flattening(
            product,
            polarisations[0],
            geometry,
            padded,
            oversample,
            padded_heights,
            padded_line,
            padded_pixel,
            window,
            min_illuminated_area,
        )
        flattening = factor[edge:-edge, edge:-edge]
    coords = [np.where(inside, line - r0, 0.0), np.where(inside, pixel - c0, 0.0)]
    no_data = None
    if mask_border_noise:
        no_data = window_border_mask(product, window, border_limit, border_threshold)
        metadata["border_noise_pixels"] = int(no_data.sum())
    for band, pol in enumerate(polarisations):
        sigma0 = sigma0_window(product, pol, window, noise_removal, negative, negative_floor, no_data)
        sigma0 = apply_speckle_filter(sigma0, speckle_filter, speckle_window)
        fine = map_coordinates(sigma0.astype(np.float64), coords, order=1, mode="nearest")
        fine = (fine if flattening is None else fine * flattening).astype(np.float32)
        fine[~inside] = np.nan
        out[band] = block_reduce(fine.astype(np.float64), oversample, "mean").astype(np.float32)
    terrain = _terrain_layers(geometry, grid, oversample, heights, line, inside, layers) if layers else {}
    return GeocodedSigma0(out, polarisations, metadata, terrain)


def _no_layers(grid: AreaGrid, layers: tuple[str, ...]) -> dict[str, np.ndarray]:
    return {name: np.full(grid.shape, np.nan, np.float32) for name in layers}


def _terrain_layers(
    geometry: RadarGeometry,
    grid: AreaGrid,
    oversample: int,
    heights: np.ndarray,
    line: np.ndarray,
    inside: np.ndarray,
    layers: tuple[str, ...],
) -> dict[str, np.ndarray]:
    """The requested terrain layers on ``grid``, from its cells oversampled (``heights``, ``line``)."""
    xs, ys = cell_centres(grid, oversample)
    lon, lat = Transformer.from_crs(grid.crs, "EPSG:4326", always_xy=True).transform(*np.meshgrid(xs, ys))
    ecef = geodetic_to_ecef(np.asarray(lon), np.asarray(lat), heights)
    first = geometry.orbit.seconds(geometry.image.first_line_time)
    satellite = np.full(ecef.shape, np.nan)
    satellite[inside] = geometry.orbit.state(first + line[inside] * geometry.image.azimuth_time_interval)[0]
    out = {}
    if "local_incidence_angle" in layers:
        angle = local_incidence_angle(ecef, satellite)
        out["local_incidence_angle"] = block_reduce(angle, oversample, "mean").astype(np.float32)
    if "layover_shadow_mask" in layers:
        mask = layover_shadow_mask(ecef, satellite, np.where(inside, line, np.nan))
        reduced = block_reduce(mask, oversample, "or").astype(np.float32)
        covered = block_reduce(inside.astype(np.uint8), oversample, "or").astype(bool)
        out["layover_shadow_mask"] = np.where(covered, reduced, np.nan).astype(np.float32)
    return {name: out[name] for name in layers}


def _flattening(
    product: SafeProduct,
    pol: str,
    geometry: RadarGeometry,
    grid: AreaGrid,
    oversample: int,
    heights: np.ndarray,
    line: np.ndarray,
    pixel: np.ndarray,
    window: tuple[int, int, int, int],
    min_area: float,
) -> np.ndarray:
    """γ0_T / σ0 on every cell of ``grid`` oversampled (``heights``, ``line``, ``pixel`` on its cells)."""
    xs, ys = cell_centres(grid, oversample)
    lon, lat = Transformer.from_crs(grid.crs, "EPSG:4326", always_xy=True).transform(*np.meshgrid(xs, ys))
    first = geometry.orbit.seconds(geometry.image.first_line_time)
    satellite = geometry.orbit.state(first + np.nan_to_num(line) * geometry.image.azimuth_time_interval)[0]
    row_off, col_off, rows, cols = window
    lut_rows, lut_cols = np.arange(row_off, row_off + rows), np.arange(col_off, col_off + cols)
    ratio = (
        interpolate_lut(product.calibration_lut(pol, "sigmaNought"), lut_rows, lut_cols)
        / interpolate_lut(product.calibration_lut(pol, "betaNought"), lut_rows, lut_cols)
    ) ** 2
    beta_over_sigma = map_coordinates(ratio, [line - row_off, pixel - col_off], order=1, mode="nearest")
    return gamma_flattening_factor(
        np.asarray(lon),
        np.asarray(lat),
        heights,
        satellite,
        line,
        pixel,
        window,
        geometry.image.azimuth_pixel_spacing,
        geometry.image.range_pixel_spacing,
        beta_over_sigma,
        min_area,
    )


__all__ = [
    "GeocodedSigma0",
    "RadarGeometry",
    "geocode_sigma0",
    "grid_line_pixel",
    "ground_range",
    "radar_coordinates",
    "radar_geometry",
    "radar_window",
]
