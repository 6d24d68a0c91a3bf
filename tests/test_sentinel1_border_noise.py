"""GRD border noise of products made before IPF 2.90 is found, masked as no data, and never reaches the grid."""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np
import pytest
import rasterio
import test_demo_store

from sar2ndvi.demo import DemoSpec, World
from sar2ndvi.demo import sentinel1 as s1
from sar2ndvi.grid import AreaGrid
from sar2ndvi.sentinel1.border_noise import (
    BORDER_LIMIT,
    RAW_DN_FLOOR,
    detect_frame,
    edge_offset,
    noise_scale,
    removal_needed,
    window_border_mask,
)
from sar2ndvi.sentinel1.geocode import geocode_backscatter, grid_line_pixel, radar_geometry
from sar2ndvi.sentinel1.safe import SafeProduct

LEGACY_IPF = "002.84"  # the IPF version of most products of the 2017 archive


@pytest.fixture(scope="module")
def world() -> World:
    return World(DemoSpec.from_config(test_demo_store.TINY))


@pytest.fixture(scope="module")
def track(world):
    return s1.track_geometry(world, 46, 38.0)


def _product(world, track, folder: Path, ipf: str) -> Path:
    zipped = s1.write_product(world, s1.scene_list(world)[0], track, folder, np.random.default_rng(3), ipf)
    with zipfile.ZipFile(zipped) as archive:
        archive.extractall(folder)
    (safe,) = folder.glob("*.SAFE")
    return safe


@pytest.fixture(scope="module")
def legacy_product(world, track, tmp_path_factory) -> Path:
    return _product(world, track, tmp_path_factory.mktemp("legacy"), LEGACY_IPF)


@pytest.fixture(scope="module")
def modern_product(world, track, tmp_path_factory) -> Path:
    return _product(world, track, tmp_path_factory.mktemp("modern"), "003.52")


def _dn(safe: Path, pol: str = "VV") -> np.ndarray:
    (path,) = safe.glob(f"measurement/*-{pol.lower()}-*.tiff")
    with rasterio.open(path) as src:
        return src.read(1)


def test_border_noise_is_removed_automatically_only_before_ipf_2_90():
    assert removal_needed("auto", 2.84) and removal_needed("auto", 2.36) and removal_needed("auto", None)
    assert not removal_needed("auto", 2.90) and not removal_needed("auto", 3.52)
    assert removal_needed("always", 3.52) and not removal_needed("never", 2.84)
    with pytest.raises(ValueError, match="unknown border-noise rule 'sometimes'"):
        removal_needed("sometimes", 2.84)


def test_an_edge_is_the_largest_step_of_the_profile_if_it_stands_out():
    profile = np.r_[np.full(40, 12.0), np.full(460, 180.0)] + np.random.default_rng(0).normal(0, 1, 500)
    assert edge_offset(profile) == 39  # between profile[39] (noise) and profile[40] (image)
    assert edge_offset(np.full(500, 180.0)) is None  # no step at all
    assert edge_offset(180 + np.random.default_rng(1).normal(0, 5, 500)) is None  # speckle, no edge


def test_noise_vectors_of_ipf_before_2_50_are_rescaled_to_dn_squared():
    assert noise_scale(2.84, 400.0) == 1.0 and noise_scale(None, 400.0) == 1.0
    assert noise_scale(2.45, 400.0) == pytest.approx(75088.7 * 400.0**2)
    assert noise_scale(2.33, 400.0) == pytest.approx(75088.7 * 400.0)


def test_the_demo_writes_2017_products_with_legacy_noise_and_border_noise(legacy_product, modern_product):
    legacy, modern = SafeProduct(legacy_product), SafeProduct(modern_product)
    assert legacy.ipf_version == pytest.approx(2.84) and modern.ipf_version == pytest.approx(3.52)
    assert legacy.noise_luts("VV").legacy and not modern.noise_luts("VV").legacy
    dn = _dn(legacy_product)
    region = s1.border_noise_region(*dn.shape)
    assert (dn[region] > 0).all() and (dn[region] < RAW_DN_FLOOR).all(), "low, non-zero DN along the edges"
    assert (_dn(modern_product)[:, : s1.BORDER_SAMPLES] == 0).all(), "IPF ≥ 2.90 writes zeros there"


def test_the_frame_found_is_the_demos_border(legacy_product):
    product = SafeProduct(legacy_product)
    lines, samples = _dn(legacy_product).shape
    frame = detect_frame(product, "VV")
    limit = min(BORDER_LIMIT, samples // 2)  # the demo image is smaller than SNAP's strips
    assert frame.top == s1.BORDER_NOISE_LINES[0]
    assert frame.bottom == lines - s1.BORDER_NOISE_LINES[1] - 1
    assert frame.left == s1.BORDER_NOISE_SAMPLES[0]
    # far range: SNAP tests 20 % more of the strip inward than the step it found
    step = limit - s1.BORDER_NOISE_SAMPLES[1] - 1
    assert frame.right == samples - limit + int(0.8 * step)


def test_every_border_pixel_is_masked_and_the_image_inside_is_kept(legacy_product):
    product = SafeProduct(legacy_product)
    dn = _dn(legacy_product)
    mask = window_border_mask(product, (0, 0, *dn.shape))
    region = s1.border_noise_region(*dn.shape)
    assert mask[region].all()
    inside = ~region
    # only image pixels darker than SNAP's DN floor inside the tested frame may go too: a handful
    assert mask[inside].mean() < 0.002
    assert not mask[dn >= RAW_DN_FLOOR].any() or (dn[mask & inside] < RAW_DN_FLOOR).all()


def test_a_window_away_from_the_edges_reads_no_strip_and_masks_nothing(legacy_product):
    lines, samples = _dn(legacy_product).shape
    frame = detect_frame(SafeProduct(legacy_product), "VV", (lines // 2, samples // 2, 4, 4), limit=100)
    assert (frame.top, frame.left, frame.bottom, frame.right) == (0, 0, lines - 1, samples - 1)


def _grid_over_the_image(world: World) -> AreaGrid:
    """A grid reaching 1.5 km beyond the pre-training area: over every edge of the demo image."""
    base = world.area_grids["pretrain"]
    pad = 150
    return AreaGrid(
        "edges", base.crs, base.resolution, base.x_min - pad * base.resolution,
        base.y_max + pad * base.resolution, base.width + 2 * pad, base.height + 2 * pad,
    )  # fmt: skip


def _heights(world: World, grid: AreaGrid) -> np.ndarray:
    xs = grid.x_min + (np.arange(grid.width) + 0.5) * grid.resolution
    ys = grid.y_max - (np.arange(grid.height) + 0.5) * grid.resolution
    xx, yy = np.meshgrid(xs, ys)
    return world.ellipsoidal_height(xx, yy)


def test_border_noise_never_reaches_the_grid(world, legacy_product):
    grid = _grid_over_the_image(world)
    heights = _heights(world, grid)
    product = SafeProduct(legacy_product)
    masked = geocode_backscatter(product, grid, heights, ("VV", "VH"), oversample=1)
    kept = geocode_backscatter(product, grid, heights, ("VV", "VH"), oversample=1, border_noise="never")
    assert masked.metadata["border_noise_removal"] and masked.metadata["border_noise_pixels"] > 0
    assert masked.metadata["noise_format"] == "noiseVectorList (IPF < 2.9)"

    line, pixel = grid_line_pixel(radar_geometry(product, "VV"), grid, 1, heights)
    lines, samples = _dn(legacy_product).shape
    li, pi = np.rint(line).astype(int), np.rint(pixel).astype(int)
    on_image = (li >= 0) & (li < lines) & (pi >= 0) & (pi < samples)
    region = s1.border_noise_region(lines, samples)
    on_border = np.zeros_like(on_image)
    on_border[on_image] = region[li[on_image], pi[on_image]]
    assert on_border.sum() > 1000, "the grid reaches the border of the image"
    for band in range(2):
        # without masking, the border is a dark but valid-looking backscatter ...
        assert np.isfinite(kept.backscatter[band][on_border]).mean() > 0.99
        # ... with it, none of it is in the grid, neither as a value nor averaged with others
        assert not np.isfinite(masked.backscatter[band][on_border]).any()
        away = on_image & ~on_border
        np.testing.assert_array_equal(masked.backscatter[band][away & np.isfinite(masked.backscatter[band])],
                                      kept.backscatter[band][away & np.isfinite(masked.backscatter[band])])  # fmt: skip


def test_products_from_ipf_2_90_on_are_passed_through(world, modern_product):
    grid = _grid_over_the_image(world)
    heights = _heights(world, grid)
    auto = geocode_backscatter(modern_product, grid, heights, ("VV",), oversample=1)
    never = geocode_backscatter(modern_product, grid, heights, ("VV",), oversample=1, border_noise="never")
    assert not auto.metadata["border_noise_removal"] and "border_noise_pixels" not in auto.metadata
    np.testing.assert_array_equal(auto.backscatter, never.backscatter)
