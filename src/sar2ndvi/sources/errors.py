"""Errors shared by the live-source clients."""


class EmptySearchError(RuntimeError):
    """A search found nothing; the message names the settings to relax."""


__all__ = ["EmptySearchError"]
