"""Secrets come from the environment or the user's files, and never reach a log."""

import logging

import pytest

from sar2ndvi.runlog import configure
from sar2ndvi.sources.credentials import MissingCredentialsError, earthdata_credentials

FAKE_TOKEN = "fake-earthdata-token-0123456789"
FAKE_PASSWORD = "fake-pass-word-987"


@pytest.fixture
def no_credentials(monkeypatch, tmp_path):
    for name in ("EARTHDATA_TOKEN", "EARTHDATA_USERNAME", "EARTHDATA_PASSWORD", "PL_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    return tmp_path


def test_a_token_in_the_environment_is_used_and_never_printed(no_credentials, monkeypatch):
    monkeypatch.setenv("EARTHDATA_TOKEN", FAKE_TOKEN)
    credentials = earthdata_credentials()
    assert credentials.token == FAKE_TOKEN
    assert FAKE_TOKEN not in repr(credentials)


def test_netrc_is_read_when_the_environment_has_nothing(no_credentials):
    netrc = no_credentials / ".netrc"
    netrc.write_text(f"machine urs.earthdata.nasa.gov login farmer password {FAKE_PASSWORD}\n")
    netrc.chmod(0o600)
    credentials = earthdata_credentials()
    assert (credentials.username, credentials.password) == ("farmer", FAKE_PASSWORD)


def test_missing_credentials_say_what_to_set(no_credentials):
    with pytest.raises(MissingCredentialsError) as err:
        earthdata_credentials()
    for hint in ("EARTHDATA_TOKEN", "EARTHDATA_USERNAME", "EARTHDATA_PASSWORD", ".netrc"):
        assert hint in str(err.value)


def test_secrets_set_in_the_environment_never_reach_the_log_file(no_credentials, monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("EARTHDATA_TOKEN", FAKE_TOKEN)
    monkeypatch.setenv("EARTHDATA_PASSWORD", FAKE_PASSWORD)
    log_path = tmp_path / "job.log"
    configure(log_path)
    log = logging.getLogger("sar2ndvi.sources")
    log.info("GET https://datapool.asf.alaska.edu/x.zip with Authorization: Bearer %s", FAKE_TOKEN)
    log.warning(f"retrying with password {FAKE_PASSWORD}")
    try:
        raise RuntimeError(f"401 for token {FAKE_TOKEN}")
    except RuntimeError:
        log.exception("download failed")
    for handler in logging.getLogger().handlers:
        handler.flush()
    text = log_path.read_text() + capsys.readouterr().err
    assert "Bearer ***" in text and "401 for token ***" in text
    assert FAKE_TOKEN not in text and FAKE_PASSWORD not in text
    configure(None)
