"""Precise orbit files (.EOF): read, chosen by mission and validity, and used in place of the annotation orbit."""

import numpy as np
import pytest
from orbit_files import write_annotation_eof

from sar2ndvi.sentinel1.geocode import radar_geometry
from sar2ndvi.sentinel1.orbit_file import find_orbit_file, read_orbit_file
from sar2ndvi.sentinel1.safe import SafeProduct

S1B = "s1_grd_sarsen_S1B_20211223/S1B_IW_GRDH_1SDV_20211223T051122_20211223T051147_030148_039993_5371.SAFE"


@pytest.fixture(scope="module")
def product(real_data) -> SafeProduct:
    return SafeProduct(real_data / S1B)


def test_orbit_file_vectors_geolocate_like_the_annotations(product, tmp_path):
    info = product.info
    eof = write_annotation_eof(
        tmp_path / "S1B_OPER_AUX_POEORB_OPOD_20220112T111530_V20211222T225942_20211224T005942.EOF", product
    )
    orbit = read_orbit_file(eof, info.start_time, info.stop_time)
    from_file = radar_geometry(product, "VV", orbit)
    from_annotation = radar_geometry(product, "VV")
    gcp = product.geolocation_grid("VV")
    pick = slice(40, 160, 7)
    args = (gcp.longitude[pick], gcp.latitude[pick], gcp.height[pick])
    for a, b in zip(from_file.line_pixel(*args), from_annotation.line_pixel(*args), strict=True):
        np.testing.assert_allclose(a, b, atol=1e-3)


def test_the_covering_file_of_the_mission_is_found_precise_first(product, tmp_path):
    info = product.info
    names = [
        "S1A_OPER_AUX_POEORB_OPOD_20220112T111530_V20211222T225942_20211224T005942.EOF",  # other mission
        "S1B_OPER_AUX_POEORB_OPOD_20220101T111530_V20211220T225942_20211222T005942.EOF",  # another day
        "S1B_OPER_AUX_RESORB_OPOD_20211223T080000_V20211223T043000_20211223T074000.EOF",  # restituted
        "S1B_OPER_AUX_POEORB_OPOD_20220112T111530_V20211222T225942_20211224T005942.EOF",  # the one
    ]
    for name in names:
        (tmp_path / name).write_text("")
    assert find_orbit_file(tmp_path, "S1B", info.start_time, info.stop_time).name == names[-1]
    (tmp_path / names[-1]).unlink()
    assert find_orbit_file(tmp_path, "S1B", info.start_time, info.stop_time).name == names[2]


def test_no_covering_file_and_a_file_of_another_time_give_clear_errors(product, tmp_path):
    info = product.info
    with pytest.raises(FileNotFoundError, match="no S1B POEORB/RESORB orbit file covers"):
        find_orbit_file(tmp_path, "S1B", info.start_time, info.stop_time)
    eof = write_annotation_eof(tmp_path / "orbit.EOF", product)
    with pytest.raises(ValueError, match=r"orbit\.EOF: only 0 state vectors"):
        read_orbit_file(eof, np.datetime64("2021-12-25T05:11:22"), np.datetime64("2021-12-25T05:11:47"))
