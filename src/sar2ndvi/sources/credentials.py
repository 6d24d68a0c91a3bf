"""Where the live sources' secrets come from, and keeping them out of every log.

Secrets are read only from the environment or from the user's own files, never from the
configuration:

- Earthdata (ASF): ``EARTHDATA_TOKEN``, or ``EARTHDATA_USERNAME`` and ``EARTHDATA_PASSWORD``, or the
  ``urs.earthdata.nasa.gov`` entry of ``~/.netrc``;
- Earth Engine: ``EE_SERVICE_ACCOUNT_KEY`` or ``GOOGLE_APPLICATION_CREDENTIALS`` (the path of a
  service-account JSON key), else the credentials stored by ``earthengine authenticate``;
  ``EE_PROJECT`` names the Cloud project;
- Planet: ``PL_API_KEY``.

:class:`RedactingFilter`, installed on every handler by :func:`sar2ndvi.runlog.configure`, replaces
the value of each of these variables that is set, wherever it appears in a log record.
"""

from __future__ import annotations

import logging
import netrc
import os
from dataclasses import dataclass
from pathlib import Path

SECRET_VARIABLES: tuple[str, ...] = (
    "EARTHDATA_TOKEN",
    "EARTHDATA_PASSWORD",
    "PL_API_KEY",
    "EE_PRIVATE_KEY",
)
EARTHDATA_HOST = "urs.earthdata.nasa.gov"
MASK = "***"


class MissingCredentialsError(RuntimeError):
    """No credentials for a live source; the message says what to set."""


@dataclass(frozen=True)
class EarthdataCredentials:
    """A bearer token, or a user name and password (never printed)."""

    token: str | None = None
    username: str | None = None
    password: str | None = None

    def __repr__(self) -> str:
        return f"EarthdataCredentials(token={'set' if self.token else None}, username={self.username!r})"


def earthdata_credentials(netrc_path: str | Path | None = None) -> EarthdataCredentials:
    """Earthdata credentials from the environment, else ``~/.netrc``.

    Raises:
        MissingCredentialsError: naming the variables and the file to set.
    """
    if os.environ.get("EARTHDATA_TOKEN"):
        return EarthdataCredentials(token=os.environ["EARTHDATA_TOKEN"])
    if os.environ.get("EARTHDATA_USERNAME") and os.environ.get("EARTHDATA_PASSWORD"):
        return EarthdataCredentials(
            username=os.environ["EARTHDATA_USERNAME"], password=os.environ["EARTHDATA_PASSWORD"]
        )
    path = Path(netrc_path) if netrc_path else Path.home() / ".netrc"
    if path.is_file():
        try:
            entry = netrc.netrc(str(path)).authenticators(EARTHDATA_HOST)
        except netrc.NetrcParseError as err:
            raise MissingCredentialsError(f"{path}: cannot be parsed ({err.msg}); fix the file") from err
        if entry and entry[0] and entry[2]:
            return EarthdataCredentials(username=entry[0], password=entry[2])
    raise MissingCredentialsError(
        "no Earthdata credentials for ASF downloads: set EARTHDATA_TOKEN (a token from "
        "https://urs.earthdata.nasa.gov/profile), or EARTHDATA_USERNAME and EARTHDATA_PASSWORD, or add "
        f"'machine {EARTHDATA_HOST} login USER password PASS' to {path}"
    )


def secret_values() -> list[str]:
    """The values of the secret variables that are set (longest first, so none masks part of another)."""
    values = {os.environ[name] for name in SECRET_VARIABLES if os.environ.get(name)}
    return sorted((v for v in values if len(v) >= 4), key=len, reverse=True)


class RedactingFilter(logging.Filter):
    """Replace the secret values of the environment in each record's formatted message."""

    def filter(self, record: logging.LogRecord) -> bool:
        secrets = secret_values()
        if not secrets:
            return True
        message = record.getMessage()
        for secret in secrets:
            message = message.replace(secret, MASK)
        if record.exc_info and record.exc_info[1] is not None:
            text = logging.Formatter().formatException(record.exc_info)
            for secret in secrets:
                text = text.replace(secret, MASK)
            record.exc_text, record.exc_info = text, None
        record.msg, record.args = message, None
        return True


__all__ = [
    "SECRET_VARIABLES",
    "EarthdataCredentials",
    "MissingCredentialsError",
    "RedactingFilter",
    "earthdata_credentials",
    "secret_values",
]
