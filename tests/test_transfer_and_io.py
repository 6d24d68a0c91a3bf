"""Downloads are verified and atomic; outputs never exist half-written."""

import zipfile

import numpy as np
import pytest
import rasterio

from sar2ndvi.grid import AreaGrid
from sar2ndvi.io import (
    GDAL_CACHE_MB,
    atomic_path,
    clean_tags,
    gdal_block_cache,
    read_raster,
    write_raster,
    write_text_if_changed,
)
from sar2ndvi.sources.transfer import VerificationError, copy_verified, fetch_with_retries, md5sum, verify_file

GRID = AreaGrid("t", "EPSG:32654", 10.0, 276000.0, 4046000.0, 5, 4)


def _zip(path, payload=b"measurement"):
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("S1A.SAFE/manifest.safe", payload)
    return path


def test_verified_copy_lands_when_size_and_md5_match(tmp_path):
    source = _zip(tmp_path / "scene.zip")
    dest = tmp_path / "out" / "scene.zip"
    copy_verified(source, dest, source.stat().st_size, md5sum(source))
    assert dest.read_bytes() == source.read_bytes()


def test_checksum_mismatch_is_retried_then_fails_leaving_nothing(tmp_path):
    source = _zip(tmp_path / "scene.zip")
    dest = tmp_path / "out" / "scene.zip"
    calls = []

    def transfer(tmp):
        calls.append(tmp)
        tmp.write_bytes(source.read_bytes())

    with pytest.raises(VerificationError, match="3 attempts failed"):
        fetch_with_retries(transfer, dest, None, "0" * 32, attempts=3, backoff_s=0.0)
    assert len(calls) == 3
    assert not dest.exists()
    assert list(dest.parent.iterdir()) == []


def test_a_flaky_transfer_succeeds_on_retry(tmp_path):
    source = _zip(tmp_path / "scene.zip")
    dest = tmp_path / "scene_copy.zip"
    attempts = []

    def transfer(tmp):
        attempts.append(1)
        data = source.read_bytes()
        tmp.write_bytes(data[: len(data) // 2] if len(attempts) == 1 else data)

    fetch_with_retries(transfer, dest, source.stat().st_size, md5sum(source), backoff_s=0.0)
    assert len(attempts) == 2 and dest.read_bytes() == source.read_bytes()


def test_truncated_zip_fails_verification(tmp_path):
    source = _zip(tmp_path / "scene.zip", payload=b"x" * 10_000)
    broken = tmp_path / "broken.zip"
    broken.write_bytes(source.read_bytes()[:-30])
    with pytest.raises(VerificationError, match="not a valid zip"):
        verify_file(broken, None, None)


def test_wrong_size_names_the_file(tmp_path):
    source = _zip(tmp_path / "scene.zip")
    with pytest.raises(VerificationError, match=r"scene\.zip: \d+ bytes, the archive lists 1"):
        verify_file(source, 1, None)


def test_atomic_path_leaves_nothing_when_the_writer_fails(tmp_path):
    target = tmp_path / "result.tif"
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_bytes(b"half")
        raise RuntimeError("killed")
    assert list(tmp_path.iterdir()) == []


def test_text_is_not_rewritten_when_unchanged(tmp_path):
    path = tmp_path / "scenes.csv"
    assert write_text_if_changed(path, "a\n")
    before = path.stat().st_mtime_ns
    assert not write_text_if_changed(path, "a\n")
    assert path.stat().st_mtime_ns == before
    assert write_text_if_changed(path, "b\n")


def test_raster_round_trip_keeps_grid_nodata_descriptions_and_tags(tmp_path):
    data = np.arange(40, dtype=np.float32).reshape(2, 4, 5)
    data[0, 0, 0] = np.nan
    path = tmp_path / "r.tif"
    write_raster(path, data, GRID, ["VV", "VH"], {"scene": "S1A_x"}, cog=True)
    back = read_raster(path, GRID)
    np.testing.assert_array_equal(back, data)
    with rasterio.open(path) as src:
        assert src.descriptions == ("VV", "VH") and src.tags()["scene"] == "S1A_x"
        assert src.crs.to_epsg() == 32654 and src.transform == GRID.transform


def test_raster_on_another_grid_is_refused_with_advice(tmp_path):
    path = tmp_path / "r.tif"
    write_raster(path, np.zeros((4, 5), np.float32), GRID)
    other = AreaGrid("o", "EPSG:32654", 10.0, 276010.0, 4046000.0, 5, 4)
    with pytest.raises(ValueError, match="delete it and rerun"):
        read_raster(path, other)


def test_secret_looking_tags_are_refused():
    with pytest.raises(ValueError, match="secret"):
        clean_tags({"earthdata_token": "abc"})


def test_a_result_is_readable_by_whoever_may_read_the_users_new_files(tmp_path):
    import os

    from sar2ndvi.io import atomic_path

    previous = os.umask(0o022)
    try:
        with atomic_path(tmp_path / "ndvi.tif") as tmp:
            tmp.write_bytes(b"x")
    finally:
        os.umask(previous)
    assert (tmp_path / "ndvi.tif").stat().st_mode & 0o777 == 0o644


def test_bands_written_a_few_at_a_time_make_a_band_interleaved_tiled_geotiff_with_overviews(tmp_path):
    import numpy as np
    import rasterio

    from sar2ndvi.grid import AreaGrid
    from sar2ndvi.io import raster_bands

    grid = AreaGrid("area", "EPSG:32654", 10.0, 720_000.0, 4_045_000.0, 600, 300)
    data = np.random.default_rng(0).random((7, *grid.shape)).astype("float32")
    data[:, :10] = np.nan
    names = [f"2017-06-{day:02d}" for day in range(1, 8)]
    with raster_bands(tmp_path / "ndvi.tif", grid, 7, names, {"units": "NDVI"}) as put:
        for first in range(0, 7, 3):
            put(first, data[first : first + 3])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ndvi.tif"], "the staging file is gone"
    with rasterio.open(tmp_path / "ndvi.tif") as src:
        assert src.profile["interleave"] == "band" and src.block_shapes[0] == (256, 256)
        assert src.overviews(1) == [2, 4] and src.descriptions == tuple(names)
        assert src.tags()["units"] == "NDVI" and src.crs.to_epsg() == 32654 and src.transform == grid.transform
        np.testing.assert_array_equal(src.read(), data)


def test_the_block_cache_of_raster_jobs_is_megabytes_not_bytes():
    # rasterio passes an integer GDAL_CACHEMAX to GDAL as bytes; a cache smaller than one block
    # inflates every block of a ten-band stack ten times
    with gdal_block_cache():
        assert rasterio.env.getenv()["GDAL_CACHEMAX"] == GDAL_CACHE_MB * 2**20 >= 64 * 2**20
