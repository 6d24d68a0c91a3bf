"""The workflow on products as the 2017 archive holds them: IPF 2.84, legacy noise vectors, GRD border noise."""

from __future__ import annotations

import numpy as np
import pytest
import rasterio
from scipy.ndimage import binary_dilation, binary_erosion
from workflow_cli import FINAL_TARGETS, TEST_CONFIGS, run_snakemake, write_config

from sar2ndvi.demo import sentinel1 as s1
from sar2ndvi.grid import AreaGrid
from sar2ndvi.io import read_raster
from sar2ndvi.sentinel1.geocode import grid_line_pixel, radar_geometry
from sar2ndvi.sentinel1.safe import SafeProduct

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def legacy_run(repo, tmp_path_factory):
    workdir = tmp_path_factory.mktemp("legacy_archive")
    write_config(workdir, TEST_CONFIGS / "legacy_archive.yaml")
    result = run_snakemake(repo, workdir, *FINAL_TARGETS)
    assert result.returncode == 0, result.stderr[-6000:]
    return workdir


def test_the_default_chain_processes_legacy_products_end_to_end(legacy_run):
    sigma0 = sorted((legacy_run / "results/s1/sigma0").glob("*.tif"))
    assert len(sigma0) >= 4
    for path in sigma0:
        with rasterio.open(path) as src:
            tags = src.tags()
        assert tags["ipf_version"] == "2.84" and tags["noise_removal"] == "true"
        assert tags["noise_format"] == "noiseVectorList (IPF < 2.9)"
        assert tags["border_noise_removal"] == "true"
    with rasterio.open(legacy_run / "results/ndvi_test.tif") as src:
        assert np.isfinite(src.read()).any()


def test_border_noise_never_reaches_the_sigma0_grid(legacy_run):
    """A grid cell seen only through border-noise pixels of its product is no data; one seen through
    none keeps a value (cells between average only their clear sub-cells)."""
    grid = AreaGrid.read(legacy_run / "results/grid/pretrain.json")
    heights = read_raster(legacy_run / "results/dem/heights.tif", grid)[0]
    masked = fully_on_border = 0
    for path in sorted((legacy_run / "results/s1/sigma0").glob("*.tif")):
        with rasterio.open(path) as src:
            values = src.read()
            tags = src.tags()
        masked += int(tags["border_noise_pixels"])
        factor = int(tags["oversample"])
        (product,) = (legacy_run / "results/s1/products").glob(f"{path.stem}*")
        product = SafeProduct(product)
        image = product.image_info("VV")
        fine_heights = np.repeat(np.repeat(heights, factor, axis=0), factor, axis=1)
        line, pixel = grid_line_pixel(radar_geometry(product, "VV"), grid, factor, fine_heights)
        li, pi = np.rint(line).astype(int), np.rint(pixel).astype(int)
        on_image = (li >= 0) & (li < image.lines) & (pi >= 0) & (pi < image.samples)
        region = s1.border_noise_region(image.lines, image.samples)
        # judged two pixels away from the region's edge, beyond the reach of bilinear sampling and
        # of the DEM's own upsampling in the σ0 step
        deep_inside = binary_erosion(region, iterations=2, border_value=1)
        near = binary_dilation(region, iterations=2)
        touches = np.zeros(line.shape, bool)
        clear = np.zeros(line.shape, bool)
        touches[on_image] = deep_inside[li[on_image], pi[on_image]]
        clear[on_image] = ~near[li[on_image], pi[on_image]]
        blocks = (grid.height, factor, grid.width, factor)
        all_border = touches.reshape(blocks).all(axis=(1, 3))
        none_border = clear.reshape(blocks).all(axis=(1, 3))
        assert not np.isfinite(values[:, all_border]).any(), f"{path.name}: border noise in the grid"
        assert np.isfinite(values[:, none_border]).mean() > 0.99
        fully_on_border += int(all_border.sum())
    assert masked > 0 and fully_on_border > 0, "the demo's border noise lies inside the study's radar windows"
