"""A job's log: why it failed, and what to do when the disk is full."""

from __future__ import annotations

import errno
import shutil
import subprocess
import sys
import textwrap

import rasterio.errors

from sar2ndvi.runlog import disk_full_advice


def test_a_full_disk_is_told_with_the_disk_its_free_space_and_what_to_do(tmp_path):
    output = tmp_path / "results" / "ndvi_test.tif"  # not made yet: its nearest folder is named
    advice = disk_full_advice(OSError(errno.ENOSPC, "No space left on device"), [output])
    assert advice.startswith(f"the disk holding {tmp_path} is full (")
    assert "MB free): free space on it" in advice and "run the same command again" in advice


def test_gdals_refusal_and_an_error_raised_from_a_full_disk_count_as_a_full_disk():
    refused = rasterio.errors.RasterioIOError(
        "Free disk space available is 1024 bytes, whereas 2097152 are at least necessary."
    )
    assert disk_full_advice(refused) is not None
    try:
        try:
            raise OSError(errno.ENOSPC, "No space left on device")
        except OSError as full:
            raise ValueError("results/x.tif could not be written") from full
    except ValueError as wrapped:
        assert disk_full_advice(wrapped) is not None


def test_a_failed_write_is_a_full_disk_only_when_the_disk_is_nearly_full(tmp_path, monkeypatch):
    failed = rasterio.errors.RasterioIOError("Write failed. See previous exception for details.")
    assert disk_full_advice(failed, [tmp_path / "x.tif"]) is None, "this disk has room"
    monkeypatch.setattr("shutil.disk_usage", lambda path: shutil._ntuple_diskusage(10 * 2**30, 10 * 2**30, 2**16))
    assert "(0.1 MB free)" in disk_full_advice(failed, [tmp_path / "x.tif"])


def test_other_errors_get_no_disk_advice():
    assert disk_full_advice(ValueError("fude.geojson: the fude polygons declare no CRS")) is None
    assert disk_full_advice(OSError(errno.EACCES, "Permission denied")) is None


def test_a_job_that_fails_on_a_full_disk_says_so_in_its_log_and_on_the_terminal(tmp_path):
    log = tmp_path / "logs" / "job.log"
    script = textwrap.dedent(
        f"""
        import errno
        from sar2ndvi.runlog import configure
        configure({str(log)!r}, outputs=[{str(tmp_path / "out.tif")!r}])
        raise OSError(errno.ENOSPC, "No space left on device")
        """
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert result.returncode == 1
    for text in (result.stderr, log.read_text()):
        assert "No space left on device" in text
        assert f"the disk holding {tmp_path} is full" in text
