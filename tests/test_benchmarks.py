"""The benchmarks' own machinery: children report measured figures; the product builder keeps ESA's names."""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

import sigma0_full_scene as bench


def test_a_child_reports_its_own_time_and_peak_memory():
    figures = bench.run_child(
        """
        import json, resource, time
        started = time.perf_counter()
        block = bytearray(64 * 1024 * 1024)
        print(json.dumps({"seconds": time.perf_counter() - started,
                          "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
        """
    )
    assert figures["seconds"] > 0
    assert figures["peak_mb"] > 64, "the 64 MB block shows in the peak"


def test_a_failing_child_raises_with_its_error():
    with pytest.raises(RuntimeError, match="ZeroDivisionError"):
        bench.run_child("1 / 0")


def test_the_area_is_5_by_5_km_inside_the_real_dem():
    import rasterio
    from rasterio.coords import BoundingBox

    from sar2ndvi.grid import grid_from_lonlat_box

    grid = grid_from_lonlat_box("area", *bench.AREA, crs=bench.AREA_CRS, resolution=10)
    assert 480 <= grid.width <= 520 and 480 <= grid.height <= 520
    if not bench.DEM.exists():
        pytest.skip("the real DEM is absent")
    with rasterio.open(bench.DEM) as dem:
        west, south, east, north = bench.AREA
        bounds: BoundingBox = dem.bounds
        assert bounds.left < west and east < bounds.right and bounds.bottom < south and north < bounds.top
