"""Range-Doppler terrain correction of GRD σ0 onto an area grid (backward geocoding, as SNAP does).

For every pixel centre of the area grid oversampled by an integer factor, the ground point (x, y in
the grid's projected CRS, height above the WGS 84 ellipsoid from the DEM, bilinearly upsampled) is
mapped to its zero-Doppler azimuth time and slant range, solved by Newton's method on the orbit from
its ECEF position (EPSG:4978), starting from a first guess interpolated from the annotation's
geolocation grid. Time gives the image line, (t − productFirstLineUtcTime) / azimuthTimeInterval;
slant range gives ground range through the srgr polynomials of the coordinateConversion records
(interpolated linearly in azimuth time between the two nearest records) and so the image pixel,
ground range / rangePixelSpacing. σ0, calibrated and noise-removed on only the radar window that the
area needs, is sampled bilinearly at (line, pixel); the oversampled grid is then averaged in linear
power onto the area grid, block by block (each cell the mean of its own oversample × oversample
sub-cells that have a value; no data where none has). GDAL's average resampling is not used for
this: on grids aligned only to floating point it gives a cell a sliver of its neighbours' sub-cells,
so a cell whose sub-cells are all no data (border noise, shadow) took a neighbour's value.

Solving every sub-cell exactly is what costs: the Newton solution runs on a lattice of cells some
160 m apart at three heights spanning the area's (:func:`grid_line_pixel`), the grid's cells
interpolate time and slant range from it, and the sub-cells interpolate line and pixel from the
grid's cells (:func:`oversampled_line_pixel`). Line and pixel stay within 10⁻³ pixel of solving
every sub-cell on its own (tested on the real annotation of a full-size scene, over real relief and
over slopes up to 88°).

By default no radiometric terrain flattening is applied: the output is σ0 on the ellipsoid's
reference area; ``radiometry="gamma0_flat"`` gives terrain-flattened γ0 instead
(:mod:`sar2ndvi.sentinel1.flattening`).
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
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
_STRIP_ROWS = 64  # oversampled rows processed at once
LATTICE_SPACING_M = 160.0  # ground distance between the cells solved exactly (grid_line_pixel)


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

    def srgr(k: int, d_slant: np.ndarray) -> np.ndarray:
        out = np.full_like(d_slant, conv.srgr[k, -1])
        for coefficient in conv.srgr[k, -2::-1]:
            out *= d_slant
            out += coefficient
        return out

    def between(k: int, slant: np.ndarray, weight: np.ndarray) -> np.ndarray:
        upper_k = min(k + 1, len(times) - 1)
        return srgr(k, slant - conv.sr0[k]) * (1.0 - weight) + srgr(upper_k, slant - conv.sr0[upper_k]) * weight

    # an area spans few records: evaluate each record's polynomial with scalar coefficients on the
    # points that use it, rather than gathering coefficients per point
    if lower.size == 0 or lower.min() == lower.max():
        return between(int(lower.flat[0]) if lower.size else 0, slant, weight)
    out = np.empty_like(slant)
    for k in range(int(lower.min()), int(lower.max()) + 1):
        use = lower == k
        if use.any():
            out[use] = between(k, slant[use], weight[use])
    return out


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

    def time_range(self, lon: np.ndarray, lat: np.ndarray, height: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Zero-Doppler time (s since the orbit's epoch) and slant range (m) of ground points.

        Ground points in degrees (WGS 84) and metres above the ellipsoid, any shape.
        """
        lon, lat, height = np.broadcast_arrays(
            np.asarray(lon, float), np.asarray(lat, float), np.asarray(height, float)
        )
        first = self.orbit.seconds(self.image.first_line_time)
        guess_line, _ = self.approximate_line_pixel(lon, lat, height)
        guess = first + np.clip(guess_line, -1000, self.image.lines + 1000) * self.image.azimuth_time_interval
        return zero_doppler(self.orbit, geodetic_to_ecef(lon, lat, height), guess)

    def to_line_pixel(self, seconds: np.ndarray, slant: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Image (line, pixel) of zero-Doppler times (s since the orbit's epoch) and slant ranges (m)."""
        first = self.orbit.seconds(self.image.first_line_time)
        line = (seconds - first) / self.image.azimuth_time_interval
        pixel = ground_range(self.conversion, seconds, self.orbit.epoch, slant) / self.image.range_pixel_spacing
        return line, pixel

    def line_pixel(self, lon: np.ndarray, lat: np.ndarray, height: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Image (line, pixel) of ground points: degrees (WGS 84), metres above the ellipsoid, any shape."""
        return self.to_line_pixel(*self.time_range(lon, lat, height))


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
    lon, lat = _to_lon_lat(grid.crs).transform(xs, ys)
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
class GeocodedBackscatter:
    """Backscatter on an area grid: σ0, or terrain-flattened γ0 (``quantity``).

    Attributes:
        backscatter: (polarisations, rows, cols) float32 linear power on the grid's CRS, NaN = no data;
            σ0, or γ0 where ``quantity`` is "gamma0".
        polarisations: band names, e.g. ("VV", "VH").
        metadata: mission, pass, absolute and relative orbit, acquisition start/stop (UTC, ISO 8601),
            IPF version, processing options and the radar windows used.
        layers: terrain layers by name, each (rows, cols) float32
            (:mod:`sar2ndvi.sentinel1.terrain_geometry`).
    """

    backscatter: np.ndarray
    polarisations: tuple[str, ...]
    metadata: dict = field(default_factory=dict)
    layers: dict[str, np.ndarray] = field(default_factory=dict)

    @property
    def quantity(self) -> str:
        """What ``backscatter`` holds: "sigma0", or "gamma0" (radiometry ``gamma0_flat``)."""
        return "gamma0" if self.metadata.get("radiometry") == "gamma0_flat" else "sigma0"

    @property
    def valid_fraction(self) -> float:
        """Fraction of grid pixels with a value in every band."""
        return float(np.isfinite(self.backscatter).all(axis=0).mean())

    def __array__(self, dtype=None, copy=None) -> np.ndarray:
        return self.backscatter if dtype is None else self.backscatter.astype(dtype)


def _upsample(values: np.ndarray, factor: int) -> np.ndarray:
    """Bilinear upsampling by ``factor`` with pixel centres aligned (edges held)."""
    return _refine(np.pad(np.asarray(values, np.float64), 1, mode="edge"), factor)


@dataclass(frozen=True)
class BilinearSampler:
    """Bilinear sampling of radar-geometry images at fractional (row, col), for several bands alike.

    Indices and weights are computed once for all bands. Coordinates are clamped to the image, as
    ``scipy.ndimage.map_coordinates(order=1, mode="nearest")`` does; a NaN among a point's four
    neighbours gives NaN, and so do points outside ``valid``.
    """

    corner: np.ndarray
    offsets: tuple[int, int, int]
    weights: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]
    invalid: np.ndarray

    @classmethod
    def at(cls, rows: np.ndarray, cols: np.ndarray, image_shape: tuple[int, int], valid: np.ndarray) -> BilinearSampler:
        """A sampler at (``rows``, ``cols``), fractional image coordinates; NaN where not ``valid``."""
        n_rows, n_cols = image_shape
        invalid = ~np.asarray(valid, bool)
        rows = np.clip(np.where(invalid, 0.0, rows), 0.0, n_rows - 1).ravel()
        cols = np.clip(np.where(invalid, 0.0, cols), 0.0, n_cols - 1).ravel()
        r0 = np.minimum(rows.astype(np.intp), max(n_rows - 2, 0))
        c0 = np.minimum(cols.astype(np.intp), max(n_cols - 2, 0))
        below = (rows - r0).astype(np.float32)
        right = (cols - c0).astype(np.float32)
        above, left = 1.0 - below, 1.0 - right
        down = n_cols if n_rows > 1 else 0
        across = 1 if n_cols > 1 else 0
        corner = r0 * n_cols + c0
        weights = (above * left, above * right, below * left, below * right)
        return cls(corner, (across, down, down + across), weights, invalid.ravel())

    def __call__(self, interleaved: np.ndarray) -> np.ndarray:
        """Bands sampled at the points: (bands, points) float32.

        Args:
            interleaved: (rows, cols, bands) float32, C-contiguous (the shape given to :meth:`at`,
                bands last), so that one gather fetches every band's value of a pixel; see
                :func:`interleave`.
        """
        bands = interleaved.shape[-1]
        pixels = interleaved.view(np.dtype((np.void, interleaved.itemsize * bands))).ravel()
        out = np.zeros((self.corner.size, bands), np.float32)
        for offset, weight in zip((0, *self.offsets), self.weights, strict=True):
            index = self.corner if offset == 0 else self.corner + offset
            out += pixels.take(index).view(np.float32).reshape(-1, bands) * weight[:, None]
        out[self.invalid] = np.nan
        return out.T


def interleave(*images: np.ndarray) -> np.ndarray:
    """Images of one shape as one (rows, cols, bands) float32 C-contiguous array, for :class:`BilinearSampler`."""
    return np.ascontiguousarray(np.stack([np.asarray(image, np.float32) for image in images], axis=-1))


def cell_centres(grid: AreaGrid, oversample: int) -> tuple[np.ndarray, np.ndarray]:
    """x (columns) and y (rows) of the cell centres of ``grid`` oversampled by ``oversample``, CRS units."""
    step = grid.resolution / oversample
    xs = grid.x_min + (np.arange(grid.width * oversample) + 0.5) * step
    ys = grid.y_max - (np.arange(grid.height * oversample) + 0.5) * step
    return xs, ys


def grid_line_pixel(
    geometry: RadarGeometry,
    grid: AreaGrid,
    oversample: int,
    heights: np.ndarray,
    lattice_spacing: float | None = LATTICE_SPACING_M,
    threads: int = 1,
) -> tuple[np.ndarray, np.ndarray]:
    """Image (line, pixel) of every pixel centre of ``grid`` oversampled by ``oversample``.

    With ``lattice_spacing`` (m, in the grid's CRS units), the zero-Doppler equations are solved
    exactly only on a lattice of cells about that far apart, each at three heights spanning the
    area's (lowest, middle, highest); every cell then takes line and pixel interpolated linearly in
    x and y between the lattice nodes and quadratically in its own height between the three levels.
    What is interpolated is zero-Doppler time and slant range, which vary smoothly with ground
    position and height (the orbit is a smooth curve); ground range, and so pixel, then comes from
    each cell's own time and slant range through the srgr polynomials, whose interpolation between
    records has kinks that no lattice would follow. This stays within 10⁻³ pixel of the exact
    solution (``tests/test_sentinel1_geocode.py`` checks it on the real annotation of a full-size
    scene and on steep terrain) at a small part of its cost. ``None`` solves every cell exactly.

    Args:
        heights: m above the WGS 84 ellipsoid on the oversampled grid.
        threads: strips of rows interpolated at once.

    Returns:
        (line, pixel), each of the oversampled grid's shape; NaN where a height is NaN.
    """
    xs, ys = cell_centres(grid, oversample)
    heights = np.asarray(heights, np.float64)
    if lattice_spacing is None:
        return geometry.to_line_pixel(*_solve_cells(geometry, grid.crs, xs, ys, heights))
    step = max(1, round(lattice_spacing * oversample / grid.resolution))
    node_rows, node_cols = _lattice_nodes(len(ys), step), _lattice_nodes(len(xs), step)
    finite = heights[np.isfinite(heights)]
    if finite.size == 0:
        nan = np.full(heights.shape, np.nan)
        return nan, nan.copy()
    low = float(finite.min())
    span = max(float(finite.max()) - low, 1.0)
    levels = low + span * np.array([0.0, 0.5, 1.0])
    node_heights = np.broadcast_to(levels[:, None, None], (3, len(node_rows), len(node_cols)))
    node_seconds, node_slant = _solve_cells(geometry, grid.crs, xs[node_cols], ys[node_rows], node_heights)
    rows_weights = _linear_weights(len(ys), node_rows)
    cols_weights = _linear_weights(len(xs), node_cols)
    # each quantity as c0 + c1·t + c2·t² through its values at t = 0, 1/2, 1; the coefficients are
    # linear in those values, so they are formed on the nodes and interpolated onto the cells
    to_coefficients = np.array([[1.0, 0.0, 0.0], [-3.0, 4.0, -1.0], [2.0, -4.0, 2.0]])
    seconds_nodes = np.tensordot(to_coefficients, node_seconds, 1)
    slant_nodes = np.tensordot(to_coefficients, node_slant, 1)
    line = np.empty(heights.shape)
    pixel = np.empty(heights.shape)

    def strip(rows: slice) -> None:
        t = (heights[rows] - low) / span
        strip_weights = (rows_weights[0][rows], rows_weights[1][rows])
        seconds, slant = (
            _quadratic_in_t([_expand(c, strip_weights, cols_weights) for c in nodes], t)
            for nodes in (seconds_nodes, slant_nodes)
        )
        line[rows], pixel[rows] = geometry.to_line_pixel(seconds, slant)

    for_each_strip(strip, len(ys), _STRIP_ROWS, threads)
    return line, pixel


def oversampled_line_pixel(
    geometry: RadarGeometry, grid: AreaGrid, oversample: int, dem_heights: np.ndarray, threads: int = 1
) -> tuple[np.ndarray, np.ndarray]:
    """Image (line, pixel) of every cell of ``grid`` oversampled by ``oversample``.

    The sub-cells' heights are the DEM on ``grid`` upsampled bilinearly (held beyond its outermost
    cell centres). Line and pixel are solved on ``grid``'s own cells (plus a ring of cells at the
    edge heights) with :func:`grid_line_pixel` and interpolated bilinearly onto the sub-cells: as
    both vary near linearly with ground position and height over one cell, this is the sub-cells'
    own solution within 10⁻³ pixel (the kinks of the srgr interpolation in azimuth time cost at most
    a few 10⁻⁴; ``tests/test_sentinel1_geocode.py``) at a quarter of the cells' cost for ``oversample=2``.

    Args:
        dem_heights: m above the WGS 84 ellipsoid on ``grid``.

    Returns:
        (line, pixel), each of shape (grid.height · oversample, grid.width · oversample).
    """
    if oversample == 1:
        return grid_line_pixel(geometry, grid, 1, dem_heights, threads=threads)
    ring = grid.padded(1)
    line, pixel = grid_line_pixel(geometry, ring, 1, np.pad(dem_heights, 1, mode="edge"), threads=threads)
    return _refine(line, oversample, threads), _refine(pixel, oversample, threads)


def _refine(values: np.ndarray, factor: int, threads: int = 1) -> np.ndarray:
    """Bilinear interpolation of values on cells padded by one ring onto the inner cells' sub-cells.

    Sub-cell k of a cell lies (k + 0.5) / factor − 0.5 cells from the cell's centre, so every k-th
    sub-cell is the same blend of two shifted copies of ``values``: slices, no gathering.
    """
    inner_rows, inner_cols = values.shape[0] - 2, values.shape[1] - 2
    out = np.empty((inner_rows * factor, inner_cols * factor))
    offsets = [(k + 0.5) / factor - 0.5 for k in range(factor)]

    def strip(cells: slice) -> None:
        rows = values[cells.start : cells.stop + 2]
        for i, row_offset in enumerate(offsets):
            along = _blend_neighbours(rows, row_offset, axis=0)
            for j, col_offset in enumerate(offsets):
                out[cells.start * factor + i : cells.stop * factor : factor, j::factor] = _blend_neighbours(
                    along, col_offset, axis=1
                )

    for_each_strip(strip, inner_rows, max(1, _STRIP_ROWS // factor), threads)
    return out


def _blend_neighbours(values: np.ndarray, offset: float, axis: int) -> np.ndarray:
    """Linear interpolation ``offset`` (−0.5…0.5) cells from each inner cell of a padded array, along ``axis``."""
    count = values.shape[axis] - 2
    start = 1 if offset >= 0 else 0  # the sub-cell lies between the cell and its neighbour on this side
    weight = offset + 1.0 - start

    def shifted(first: int) -> np.ndarray:
        return values[first : first + count] if axis == 0 else values[:, first : first + count]

    return shifted(start) * (1.0 - weight) + shifted(start + 1) * weight


def for_each_strip(work: Callable[[slice], None], rows: int, strip_rows: int, threads: int = 1) -> None:
    """Call ``work`` on consecutive slices of ``rows`` rows, ``strip_rows`` at a time, on ``threads`` threads.

    Strips keep every temporary small enough to be reused from one strip to the next (rather than
    faulting in fresh pages for each whole-grid array), and numpy releases the GIL inside each
    operation, so strips run in parallel.
    """
    strips = [slice(start, min(start + strip_rows, rows)) for start in range(0, rows, strip_rows)]
    if threads <= 1 or len(strips) == 1:
        for piece in strips:
            work(piece)
        return
    with ThreadPoolExecutor(max_workers=threads) as pool:
        for finished in pool.map(work, strips):
            del finished


def _quadratic_in_t(coefficients: list[np.ndarray], t: np.ndarray) -> np.ndarray:
    c0, c1, c2 = coefficients
    out = c2 * t
    out += c1
    out *= t
    out += c0
    return out


def _lattice_nodes(count: int, step: int) -> np.ndarray:
    """Indices 0, step, 2·step, … of ``count`` cells, always ending on the last cell."""
    nodes = np.arange(0, count, step)
    return nodes if nodes[-1] == count - 1 else np.append(nodes, count - 1)


LinearWeights = tuple[np.ndarray, np.ndarray]  # (lower node, weight of the node above) per cell


def _linear_weights(count: int, nodes: np.ndarray) -> LinearWeights:
    """Linear interpolation between increasing ``nodes`` (cell indices) at cells 0…count−1."""
    cells = np.arange(count)
    if len(nodes) == 1:
        return np.zeros(count, np.intp), np.zeros(count)
    lower = np.clip(np.searchsorted(nodes, cells, side="right"), 1, len(nodes) - 1) - 1
    return lower, np.clip((cells - nodes[lower]) / (nodes[lower + 1] - nodes[lower]), 0.0, 1.0)


def _expand(values: np.ndarray, rows: LinearWeights, cols: LinearWeights) -> np.ndarray:
    """Values on lattice nodes (node rows, node cols) interpolated bilinearly onto cells (rows, cols)."""
    if values.shape[1] == 1:
        along = np.repeat(values, len(cols[0]), axis=1)
    else:
        lower, weight = cols
        along = values[:, lower] * (1.0 - weight) + values[:, lower + 1] * weight
    if values.shape[0] == 1:
        return np.repeat(along, len(rows[0]), axis=0)
    lower, weight = rows
    return along[lower] * (1.0 - weight[:, None]) + along[lower + 1] * weight[:, None]


def _solve_cells(
    geometry: RadarGeometry, crs: str, xs: np.ndarray, ys: np.ndarray, heights: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Exact zero-Doppler (time, slant range) of the cells ``ys`` × ``xs`` (grid CRS).

    ``heights`` (m above the ellipsoid) has shape (…, len(ys), len(xs)); so have the results.
    """
    to_geo = _to_lon_lat(crs)
    shape = heights.shape
    heights = heights.reshape(-1, len(ys), len(xs))
    seconds = np.empty(heights.shape)
    slant = np.empty(heights.shape)
    rows_per_chunk = max(1, _CHUNK // len(xs))
    for start in range(0, len(ys), rows_per_chunk):
        stop = min(start + rows_per_chunk, len(ys))
        lon, lat = to_geo.transform(*np.meshgrid(xs, ys[start:stop]))
        for level in range(heights.shape[0]):
            seconds[level, start:stop], slant[level, start:stop] = geometry.time_range(
                lon, lat, heights[level, start:stop]
            )
    return seconds.reshape(shape), slant.reshape(shape)


@lru_cache(maxsize=16)
def _to_lon_lat(crs: str) -> Transformer:
    return Transformer.from_crs(crs, "EPSG:4326", always_xy=True)


def _noise_format(product: SafeProduct, pol: str) -> str:
    if product.thermal_noise_removed(pol):
        return "removed by the IPF"
    noise = product.noise_luts(pol)
    kind = "noiseVectorList (IPF < 2.9)" if noise.legacy else "range x azimuth (IPF >= 2.9)"
    return f"{kind}, all zero" if noise.all_zero else kind


def geocode_backscatter(
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
    threads: int = 1,
) -> GeocodedBackscatter:
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
        threads: strips of the grid geocoded at once (the result does not depend on it).

    Returns:
        :class:`GeocodedBackscatter`; ``backscatter`` is (len(polarisations), rows, cols) float32 linear power,
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
        return GeocodedBackscatter(out, polarisations, metadata, _no_layers(grid, layers))

    if not terrain_correction:
        dem_heights = np.zeros(grid.shape)
    if radiometry == "gamma0_flat":
        # the terrain simulation needs cells beyond the area (heights held at its edge) so that the
        # radar pixels at its border receive all their facets; the area's cells are its interior
        edge = FLATTENING_PAD * oversample
        padded = grid.padded(FLATTENING_PAD)
        padded_dem = np.pad(dem_heights, FLATTENING_PAD, mode="edge")
        padded_line, padded_pixel = oversampled_line_pixel(geometry, padded, oversample, padded_dem, threads)
        line, pixel = padded_line[edge:-edge, edge:-edge], padded_pixel[edge:-edge, edge:-edge]
    else:
        line, pixel = oversampled_line_pixel(geometry, grid, oversample, dem_heights, threads)
    image = geometry.image
    inside, extent = _footprint(line, pixel, image, threads)
    if extent is None:
        metadata["radar_window"] = None
        return GeocodedBackscatter(out, polarisations, metadata, _no_layers(grid, layers))
    # read the exact footprint (±1 pixel for the bilinear neighbours, plus the speckle filter's reach),
    # not the looser geolocation window
    reach = 1 + (speckle_window // 2 if speckle_filter != "none" else 0)
    r0 = max(int(np.floor(extent[0])) - reach, 0)
    r1 = min(int(np.ceil(extent[1])) + reach + 1, image.lines)
    c0 = max(int(np.floor(extent[2])) - reach, 0)
    c1 = min(int(np.ceil(extent[3])) + reach + 1, image.samples)
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
            _upsample(padded_dem, oversample),
            padded_line,
            padded_pixel,
            window,
            min_illuminated_area,
        )
        flattening = factor[edge:-edge, edge:-edge]
    no_data = None
    if mask_border_noise:
        no_data = window_border_mask(product, window, border_limit, border_threshold)
        metadata["border_noise_pixels"] = int(no_data.sum())

    def band(pol: str) -> np.ndarray:
        sigma0 = sigma0_window(product, pol, window, noise_removal, negative, negative_floor, no_data)
        return apply_speckle_filter(sigma0, speckle_filter, speckle_window)

    if threads > 1 and len(polarisations) > 1:
        with ThreadPoolExecutor(max_workers=min(threads, len(polarisations))) as pool:
            bands = list(pool.map(band, polarisations))
    else:
        bands = [band(pol) for pol in polarisations]
    window_shape = (r1 - r0, c1 - c0)
    stacked = interleave(*bands)

    def strip(rows: slice) -> None:
        fine_rows = slice(rows.start * oversample, rows.stop * oversample)
        sample = BilinearSampler.at(line[fine_rows] - r0, pixel[fine_rows] - c0, window_shape, inside[fine_rows])
        shape = (fine_rows.stop - fine_rows.start, line.shape[1])
        for band, fine in enumerate(sample(stacked)):
            fine = fine.reshape(shape)
            if flattening is not None:
                fine = (fine * flattening[fine_rows]).astype(np.float32)
            out[band, rows] = block_reduce(fine, oversample, "mean")

    for_each_strip(strip, grid.height, max(1, _STRIP_ROWS // oversample), threads)
    terrain = {}
    if layers:
        terrain = _terrain_layers(geometry, grid, oversample, _upsample(dem_heights, oversample), line, inside, layers)
    return GeocodedBackscatter(out, polarisations, metadata, terrain)


def _footprint(
    line: np.ndarray, pixel: np.ndarray, image: ImageInfo, threads: int = 1
) -> tuple[np.ndarray, tuple[float, float, float, float] | None]:
    """Which cells fall inside the image, and the (line min, line max, pixel min, pixel max) they span.

    The extent is None when no cell falls inside.
    """
    inside = np.empty(line.shape, bool)
    extents: list[tuple[float, float, float, float]] = []

    def strip(rows: slice) -> None:
        lines, pixels = line[rows], pixel[rows]
        here = (lines >= -0.5) & (lines <= image.lines - 0.5) & (pixels >= -0.5) & (pixels <= image.samples - 0.5)
        inside[rows] = here
        if here.any():
            lines, pixels = lines[here], pixels[here]
            extents.append((lines.min(), lines.max(), pixels.min(), pixels.max()))

    for_each_strip(strip, line.shape[0], _STRIP_ROWS, threads)
    if not extents:
        return inside, None
    low_line, high_line, low_pixel, high_pixel = zip(*extents, strict=True)
    return inside, (min(low_line), max(high_line), min(low_pixel), max(high_pixel))


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
    lon, lat = _to_lon_lat(grid.crs).transform(*np.meshgrid(xs, ys))
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
    lon, lat = _to_lon_lat(grid.crs).transform(*np.meshgrid(xs, ys))
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
    "GeocodedBackscatter",
    "RadarGeometry",
    "geocode_backscatter",
    "grid_line_pixel",
    "ground_range",
    "oversampled_line_pixel",
    "radar_coordinates",
    "radar_geometry",
    "radar_window",
]
