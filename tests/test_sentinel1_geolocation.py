"""Geolocation of the σ0 step over the Tsumagoi relief: point targets land where the world put them.

A demo product of the tiny world is rewritten with point targets (Gaussian blobs, σ = 1.2 radar
pixels) at the radar (line, pixel) where the demo's own orbit model sees chosen world points on the
terrain. The σ0 step then geocodes the product with the annotation alone. Each target's
power-weighted centroid on the 10 m grid must lie within half a pixel (5 m) of the world point with
terrain correction; without it, the target is displaced toward the sensor by about
h / tan(θ), h the height above the ellipsoid and θ the incidence angle.
"""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import numpy as np
import pytest
import test_demo_store
from pyproj import Transformer
from scipy import ndimage

from sar2ndvi.demo import DemoSpec, World
from sar2ndvi.demo import sentinel1 as s1
from sar2ndvi.grid import AreaGrid
from sar2ndvi.sentinel1.geocode import geocode_backscatter
from sar2ndvi.sentinel1.geometry import geodetic_to_ecef

TINY = test_demo_store.TINY
INCIDENCE_DEG = 38.0
BLOB_SIGMA = 1.2  # radar pixels
BACKGROUND = 0.01  # linear σ0
PEAK = 1.0


@pytest.fixture(scope="module")
def world() -> World:
    return World(DemoSpec.from_config(TINY))


@pytest.fixture(scope="module")
def track(world):
    return s1.track_geometry(world, 46, INCIDENCE_DEG)


@pytest.fixture(scope="module")
def targets(world) -> np.ndarray:
    """(n, 2) EPSG:32654 x, y of a 3 × 3 lattice, 250 m apart, in the pre-training area."""
    grid = world.area_grids["pretrain"]
    west, south, east, north = grid.bounds
    cx, cy = 0.5 * (west + east) + 3.3, 0.5 * (south + north) - 4.1  # off the pixel centres
    offsets = np.array([-250.0, 0.0, 250.0])
    xx, yy = np.meshgrid(cx + offsets, cy + offsets)
    return np.c_[xx.ravel(), yy.ravel()]


def _truth_line_pixel(world: World, track, xy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Where the demo's orbit model sees the world points on the terrain."""
    lon, lat = Transformer.from_crs(world.spec.crs, "EPSG:4326", always_xy=True).transform(xy[:, 0], xy[:, 1])
    height = world.ellipsoidal_height(xy[:, 0], xy[:, 1])
    return track.line_pixel(geodetic_to_ecef(np.asarray(lon), np.asarray(lat), height))


@pytest.fixture(scope="module")
def point_target_product(world, track, targets, tmp_path_factory) -> Path:
    """A demo SAFE whose VV image is point targets over a dark background (no speckle, no noise)."""
    out = tmp_path_factory.mktemp("point_targets")
    scene = s1.scene_list(world)[0]
    zipped = s1.write_product(world, scene, track, out, np.random.default_rng(0))
    with zipfile.ZipFile(zipped) as archive:
        archive.extractall(out)
    (safe,) = out.glob("*.SAFE")

    lines, pixels = _truth_line_pixel(world, track, targets)
    rows, cols = np.mgrid[0 : track.lines, 0 : track.samples].astype(np.float64)
    sigma0 = np.full(rows.shape, BACKGROUND)
    for line, pixel in zip(lines, pixels, strict=True):
        sigma0 += PEAK * np.exp(-((rows - line) ** 2 + (cols - pixel) ** 2) / (2 * BLOB_SIGMA**2))
    calibration = s1.interpolate_lut(s1.calibration_lut(track.lines, track.samples), track.lines, track.samples)
    dn = np.clip(np.rint(np.sqrt(sigma0) * calibration), 1, 65535).astype(np.uint16)
    (measurement,) = safe.glob("measurement/*-vv-*.tiff")
    measurement.write_bytes(s1.measurement_tiff(dn, track.geolocation))
    zipped.unlink()
    return safe


def _grid_around(world: World, pad_m: float) -> AreaGrid:
    base = world.area_grids["pretrain"]
    pad = int(pad_m // base.resolution)
    return AreaGrid(
        "check", base.crs, base.resolution, base.x_min - pad * base.resolution,
        base.y_max + pad * base.resolution, base.width + 2 * pad, base.height + 2 * pad,
    )  # fmt: skip


def _centroids(image: np.ndarray, grid: AreaGrid) -> np.ndarray:
    """(n, 2) power-weighted centroids (x, y) of the blobs of a geocoded σ0 image."""
    excess = np.nan_to_num(image - BACKGROUND, nan=0.0).clip(min=0.0)
    labels, count = ndimage.label(excess > 0.02 * PEAK)
    rows_cols = np.array(ndimage.center_of_mass(excess, labels, range(1, count + 1)))
    xs = grid.x_min + (rows_cols[:, 1] + 0.5) * grid.resolution
    ys = grid.y_max - (rows_cols[:, 0] + 0.5) * grid.resolution
    return np.c_[xs, ys]


def _errors(world: World, safe: Path, targets: np.ndarray, terrain_correction: bool, pad_m: float) -> np.ndarray:
    grid = _grid_around(world, pad_m)
    xs = grid.x_min + (np.arange(grid.width) + 0.5) * grid.resolution
    ys = grid.y_max - (np.arange(grid.height) + 0.5) * grid.resolution
    xx, yy = np.meshgrid(xs, ys)
    heights = world.ellipsoidal_height(xx, yy)
    result = geocode_backscatter(
        safe, grid, heights, ("VV",), oversample=2, noise_removal=False, terrain_correction=terrain_correction
    )
    found = _centroids(result.backscatter[0], grid)
    assert len(found) == len(targets), "every point target is seen once"
    # pair after removing the common shift, which can exceed the targets' spacing
    shift = found.mean(axis=0) - targets.mean(axis=0)
    nearest = np.linalg.norm(targets[:, None, :] + shift - found[None, :, :], axis=-1).argmin(axis=1)
    assert len(set(nearest)) == len(targets), "targets and blobs pair one to one"
    return found[nearest] - targets


def test_terrain_corrected_targets_land_within_half_a_pixel(world, point_target_product, targets):
    errors = _errors(world, point_target_product, targets, terrain_correction=True, pad_m=100.0)
    distance = np.linalg.norm(errors, axis=1)
    print(f"terrain-corrected geolocation error: max {distance.max():.2f} m, mean {distance.mean():.2f} m")
    assert distance.max() <= 5.0


def test_without_terrain_correction_targets_shift_by_height_over_tan_incidence(
    world, track, point_target_product, targets
):
    errors = _errors(world, point_target_product, targets, terrain_correction=False, pad_m=2600.0)
    distance = np.linalg.norm(errors, axis=1)
    heights = world.ellipsoidal_height(targets[:, 0], targets[:, 1])
    incidence = np.radians(track.incidence_mid)
    expected = heights / np.tan(incidence)
    print(
        f"without terrain correction: error {distance.min():.0f}–{distance.max():.0f} m for heights "
        f"{heights.min():.0f}–{heights.max():.0f} m (h / tan θ: {expected.min():.0f}–{expected.max():.0f} m)"
    )
    assert distance.min() > 100 * 5.0
    np.testing.assert_allclose(distance, expected, rtol=0.1)
    # the sensor is east of a descending, right-looking pass: elevated targets move east
    assert (errors[:, 0] > 0).all()


def test_point_target_product_keeps_the_products_annotation(point_target_product, tmp_path):
    """The rewritten product is still a product: the reader opens it from a zip as from a folder."""
    zipped = tmp_path / (point_target_product.name.removesuffix(".SAFE") + ".zip")
    with zipfile.ZipFile(zipped, "w", zipfile.ZIP_STORED) as archive:
        for path in sorted(point_target_product.rglob("*")):
            if path.is_file():
                archive.write(path, Path(point_target_product.name) / path.relative_to(point_target_product))
    world = World(DemoSpec.from_config(TINY))
    grid = world.area_grids["pretrain"]
    heights = np.full(grid.shape, 1240.0)
    from_zip = geocode_backscatter(zipped, grid, heights, ("VV",), noise_removal=False).backscatter
    from_folder = geocode_backscatter(point_target_product, grid, heights, ("VV",), noise_removal=False).backscatter
    np.testing.assert_array_equal(from_zip, from_folder)
    shutil.rmtree(tmp_path, ignore_errors=True)
