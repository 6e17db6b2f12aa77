"""The Atmotube Cloud API fake (``GET /api/v1/data``)."""

from standin.atmotube.api import AtmotubeApi

__all__ = ["AtmotubeApi"]
