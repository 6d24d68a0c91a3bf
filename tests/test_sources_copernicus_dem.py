"""Copernicus GLO-30 tiles: named, fetched, checked and mosaicked, over a recorded bucket.

The bucket serves the real Copernicus DEM crop over Rome (see its SOURCE.md) as both tiles the
Rome box straddles.
"""

from __future__ import annotations

import numpy as np
import pytest
import rasterio
import requests
from recorded_http import Reply, mounted

from sar2ndvi.sources.copernicus_dem import fetch_tiles, mosaic_tiles, tile_name, tiles_for_box
from sar2ndvi.sources.transfer import TransferError, VerificationError

ROME_BOX = (12.46, 41.96, 12.54, 42.04)  # inside the real crop, across the 42° N tile edge


def test_tiles_are_named_by_their_south_west_corner():
    assert tile_name(36, 138) == "Copernicus_DSM_COG_10_N36_00_E138_00_DEM"
    assert tile_name(-1, -71) == "Copernicus_DSM_COG_10_S01_00_W071_00_DEM"
    assert tiles_for_box((138.465, 36.502, 138.513, 36.550)) == ["Copernicus_DSM_COG_10_N36_00_E138_00_DEM"]
    assert tiles_for_box(ROME_BOX) == [
        "Copernicus_DSM_COG_10_N41_00_E012_00_DEM",
        "Copernicus_DSM_COG_10_N42_00_E012_00_DEM",
    ]
    assert len(tiles_for_box((137.9, 35.9, 139.0, 37.0))) == 4  # edges on whole degrees add no tile


@pytest.fixture
def bucket(real_data):
    dem = (real_data / "dem_rome_30m_sarsen" / "Rome-30m-DEM.tif").read_bytes()
    session = requests.Session()
    transport = mounted(session)
    served = {"N41": dem, "N42": dem}

    def tile(request):
        key = request.url.split("Copernicus_DSM_COG_10_")[1][:3]
        if key not in served:
            return Reply(403, b"<Error><Code>AccessDenied</Code></Error>")
        body = served[key]
        if request.method == "HEAD":
            return Reply(200, b"", {"Content-Length": str(len(body))})
        return Reply(200, body, {"Content-Length": str(len(body))})

    transport.route("HEAD", r"copernicus-dem-30m\.s3\.amazonaws\.com", tile)
    transport.route("GET", r"copernicus-dem-30m\.s3\.amazonaws\.com", tile)
    return session, transport, served, real_data / "dem_rome_30m_sarsen" / "Rome-30m-DEM.tif"


def test_the_tiles_over_a_box_are_fetched_and_mosaicked_without_changing_a_height(bucket, tmp_path):
    session, transport, _, original = bucket
    tiles = fetch_tiles(ROME_BOX, tmp_path / "tiles", session, backoff_s=0)
    assert [t.name for t in tiles] == [f"{n}.tif" for n in tiles_for_box(ROME_BOX)]
    mosaic = tmp_path / "glo30.tif"
    mosaic_tiles(tiles, ROME_BOX, mosaic, margin_deg=0.005)
    with rasterio.open(mosaic) as out, rasterio.open(original) as src:
        assert out.bounds.left <= ROME_BOX[0] and out.bounds.top >= ROME_BOX[3]
        window = src.window(*out.bounds)
        expected = src.read(1, window=window.round_offsets().round_lengths())
        heights = out.read(1)
        assert heights.shape == expected.shape
        np.testing.assert_array_equal(heights, expected)
        assert "Copernicus" in out.tags()["credit"]
    gets = [r for r in transport.sent if r.method == "GET"]
    fetch_tiles(ROME_BOX, tmp_path / "tiles", session, backoff_s=0)
    assert len([r for r in transport.sent if r.method == "GET"]) == len(gets), "tiles on disk are not fetched again"


def test_sea_tiles_are_skipped_and_a_box_of_only_sea_is_an_error(bucket, tmp_path):
    session, _, served, _ = bucket
    del served["N42"]
    assert [t.name for t in fetch_tiles(ROME_BOX, tmp_path, session, backoff_s=0)] == [
        "Copernicus_DSM_COG_10_N41_00_E012_00_DEM.tif"
    ]
    with pytest.raises(TransferError, match="all sea"):
        fetch_tiles((12.2, 42.2, 12.3, 42.3), tmp_path / "sea", session, backoff_s=0)


def test_an_unreadable_tile_is_fetched_again_then_refused_leaving_nothing(bucket, tmp_path):
    session, transport, served, _ = bucket
    served["N41"] = b"II*\x00" + b"\x00" * 4000  # a TIFF header and nothing behind it
    with pytest.raises(VerificationError, match="nothing was kept"):
        fetch_tiles((12.46, 41.96, 12.54, 41.99), tmp_path, session, attempts=2, backoff_s=0)
    assert sum(r.method == "GET" for r in transport.sent) == 2
    assert list(tmp_path.iterdir()) == []
