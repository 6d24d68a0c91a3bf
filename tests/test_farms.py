"""Farm masks from the real MAFF fude polygons of Ueda (Nagano), stored in the Tokyo datum."""

import zipfile

import geopandas as gpd
import numpy as np
import pytest
from shapely.geometry import Point

from sar2ndvi.farms import (
    best_datum_transformer,
    farm_parcels,
    rasterize_parcels,
    read_fude,
    read_fude_source,
    to_grid_crs,
)
from sar2ndvi.grid import AreaGrid

FUDE = "fude_ueda_nagano_2023/54384129.geojson"


@pytest.fixture(scope="module")
def fude(real_data):
    return read_fude(real_data / FUDE)


@pytest.fixture(scope="module")
def grid(fude):
    parcels = farm_parcels(fude, [100, 200], "EPSG:32654")
    x0, y0, x1, y1 = parcels.total_bounds
    x0, y1 = np.floor(x0 / 10) * 10 - 50, np.ceil(y1 / 10) * 10 + 50
    width, height = int((x1 - x0) // 10 + 10), int((y1 - y0) // 10 + 10)
    return AreaGrid("ueda", "EPSG:32654", 10.0, float(x0), float(y1), width, height)


def test_real_file_is_read_with_its_tokyo_datum(fude):
    assert fude.crs.to_epsg() == 4301
    assert len(fude) == 148
    assert set(fude["land_type"]) == {100, 200}


def test_land_type_filter_keeps_only_upland_fields(fude):
    parcels = farm_parcels(fude, [200], "EPSG:32654")
    assert len(parcels) == 97
    assert list(parcels["parcel_id"]) == list(range(1, 98))


def test_tokyo_datum_is_shifted_onto_maffs_own_jgd_points(fude):
    """MAFF's point_lng/point_lat are JGD2011 points inside each parcel: after the datum shift every
    reprojected polygon contains (or lies within metres of) its point; without it, hundreds of metres off."""
    parcels = farm_parcels(fude, [100, 200], "EPSG:32654")
    points = gpd.GeoSeries(gpd.points_from_xy(parcels["point_lng"], parcels["point_lat"]), crs=6668).to_crs(32654)
    distance = np.array([p.distance(g) for p, g in zip(points, parcels.geometry, strict=True)])
    assert distance.max() < 10.0
    naive = fude.set_crs(6668, allow_override=True).to_crs(32654)
    naive_distance = np.array([p.distance(g) for p, g in zip(points, naive.geometry, strict=True)])
    assert np.median(naive_distance) > 200.0


def test_datum_transformation_is_a_real_shift_not_ballpark():
    transformer, accuracy = best_datum_transformer("EPSG:4301", "EPSG:32654")
    assert "ballpark" not in transformer.description.lower()
    assert accuracy is None or accuracy <= 10.0


def test_mask_pixels_land_on_the_parcels_jgd_points(fude, grid):
    parcels = farm_parcels(fude, [200], "EPSG:32654")
    ids = rasterize_parcels(parcels, grid)
    points = gpd.GeoSeries(gpd.points_from_xy(parcels["point_lng"], parcels["point_lat"]), crs=6668).to_crs(32654)
    hits = 0
    checked = 0
    for pid, point, geom in zip(parcels["parcel_id"], points, parcels.geometry, strict=True):
        # only points well inside their parcel: the datum shift is accurate to ~9 m
        if geom.exterior.distance(point) < 15 or not geom.contains(point):
            continue
        col, row = ~grid.transform @ (point.x, point.y)
        checked += 1
        hits += ids[int(row), int(col)] == pid
    assert checked >= 20
    assert hits == checked


def test_paddy_is_not_in_the_upland_mask(fude, grid):
    upland = rasterize_parcels(farm_parcels(fude, [200], "EPSG:32654"), grid)
    paddy = farm_parcels(fude, [100], "EPSG:32654")
    for geom in paddy.geometry:
        centre = geom.representative_point()
        if geom.exterior.distance(centre) < 15:
            continue
        col, row = ~grid.transform @ (centre.x, centre.y)
        assert upland[int(row), int(col)] == 0


def test_zipped_fude_file_is_read(real_data, tmp_path):
    archive = tmp_path / "fude.zip"
    with zipfile.ZipFile(archive, "w") as out:
        out.write(real_data / FUDE, "2023_202037.geojson")
    assert len(read_fude(archive)) == 148


def test_file_without_maff_attributes_is_refused(tmp_path):
    path = tmp_path / "plain.geojson"
    gpd.GeoDataFrame({"name": ["a"]}, geometry=[Point(138.5, 36.5).buffer(0.001)], crs=6668).to_file(path)
    with pytest.raises(ValueError, match="missing attribute"):
        read_fude(path)


def test_missing_file_names_the_path(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"nowhere\.geojson"):
        read_fude(tmp_path / "nowhere.geojson")


@pytest.fixture(scope="module")
def flat_fude(fude):
    """The polygons with MAFF's edit history as text: Arrow needs one type per column."""
    return fude.assign(history=fude["history"].astype(str))


@pytest.mark.parametrize(("suffix", "writer"), [(".fgb", "FlatGeobuf"), (".parquet", "parquet"), (".gpkg", "GPKG")])
def test_every_maff_format_reads_to_the_same_parcels(flat_fude, tmp_path, suffix, writer):
    path = tmp_path / f"fude{suffix}"
    if writer == "parquet":
        flat_fude.to_parquet(path)
    else:
        flat_fude.to_file(path, driver=writer, engine="pyogrio")
    # FlatGeobuf stores features in its spatial index's order
    again = read_fude(path).sort_values("polygon_uuid").reset_index(drop=True)
    expected = flat_fude.sort_values("polygon_uuid").reset_index(drop=True)
    assert again.crs == flat_fude.crs
    assert list(again["polygon_uuid"]) == list(expected["polygon_uuid"])
    assert again.geometry.geom_equals_exact(expected.geometry, tolerance=1e-9).all()


def test_zipped_geoparquet_is_read(flat_fude, tmp_path):
    inner = tmp_path / "2023_202037.parquet"
    flat_fude.to_parquet(inner)
    archive = tmp_path / "fude.zip"
    with zipfile.ZipFile(archive, "w") as out:
        out.write(inner, inner.name)
    assert len(read_fude(archive)) == len(flat_fude)


def test_a_folder_of_municipality_files_in_two_datums_is_merged_in_place_without_duplicates(flat_fude, grid, tmp_path):
    """MAFF ships one file per municipality; neighbours may both list a border parcel, and an older
    release may be in the Tokyo datum while a newer one is in JGD2011, 450 m apart here."""
    fude = flat_fude
    west, east = fude.iloc[:100], fude.iloc[90:]
    west.to_file(tmp_path / "west.geojson", engine="pyogrio")  # Tokyo datum, as the real file
    to_grid_crs(east, "EPSG:6668").to_parquet(tmp_path / "east.parquet")  # another format, another datum
    (tmp_path / "notes.txt").write_text("not a polygon file")
    merged = read_fude_source(tmp_path, "EPSG:32654")
    assert merged.crs == "EPSG:32654"
    assert len(merged) == len(fude)
    assert merged["polygon_uuid"].is_unique
    correct = to_grid_crs(fude, "EPSG:32654")
    by_uuid = merged.set_index("polygon_uuid").loc[correct["polygon_uuid"]]
    shift = by_uuid.geometry.centroid.distance(correct.geometry.centroid, align=False)
    assert shift.max() < 0.5, f"a parcel moved {shift.max():.1f} m"
    mask = rasterize_parcels(farm_parcels(merged, [100, 200], "EPSG:32654"), grid) > 0
    truth = rasterize_parcels(farm_parcels(correct, [100, 200], "EPSG:32654"), grid) > 0
    assert (mask & truth).sum() / (mask | truth).sum() > 0.99


def test_tokyo_to_jgd2011_goes_through_a_real_datum_shift_not_the_ballpark_one(fude):
    """PROJ offers only a no-shift 'ballpark' operation from Tokyo to JGD2011 without its grid."""
    tokyo = fude.geometry.iloc[0].centroid
    jgd2011 = to_grid_crs(fude.iloc[:1], "EPSG:6668").geometry.iloc[0].centroid
    metres_per_degree = 111_000
    assert 300 < tokyo.distance(jgd2011) * metres_per_degree < 600


def test_a_geojson_that_declares_no_crs_is_refused_unless_its_datum_is_given(real_data, fude, tmp_path):
    """GDAL reads a GeoJSON without a 'crs' member as WGS 84; this one is in the Tokyo datum."""
    path = tmp_path / "54384129.geojson"
    text = (real_data / FUDE).read_text()
    path.write_text(
        text.replace('"crs": { "type": "name", "properties": { "name": "urn:ogc:def:crs:EPSG::4301" } },', "")
    )
    with pytest.raises(ValueError, match=r"54384129\.geojson: the fude polygons declare no CRS.*farms\.crs"):
        read_fude(path)
    given = to_grid_crs(read_fude(path, undeclared_crs="EPSG:4301"), "EPSG:32654")
    declared = to_grid_crs(fude, "EPSG:32654")
    assert given.geometry.geom_equals_exact(declared.geometry, tolerance=1e-6).all()


def test_an_empty_fude_file_says_it_holds_no_polygons(tmp_path):
    path = tmp_path / "2023_202037.geojson"
    path.write_text(
        '{"type": "FeatureCollection", "crs": {"type": "name", "properties": '
        '{"name": "urn:ogc:def:crs:EPSG::6668"}}, "features": []}'
    )
    with pytest.raises(ValueError, match=r"2023_202037\.geojson: holds no polygons"):
        read_fude(path)


def test_an_empty_folder_says_what_to_put_there(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"no fude polygon file .*local\.farms"):
        read_fude_source(tmp_path, "EPSG:32654")


def test_jgd2000_and_jgd2011_files_land_on_the_same_pixels(fude, grid):
    """Around Gunma and Nagano, JGD2000 and JGD2011 differ by centimetres (the 2011 shift is north-east)."""
    jgd2011 = farm_parcels(to_grid_crs(fude, "EPSG:6668"), [100, 200], "EPSG:32654")
    jgd2000 = farm_parcels(to_grid_crs(fude, "EPSG:6668").set_crs(4612, allow_override=True), [100, 200], "EPSG:32654")
    a, b = rasterize_parcels(jgd2011, grid), rasterize_parcels(jgd2000, grid)
    assert (a == b).mean() > 0.999
