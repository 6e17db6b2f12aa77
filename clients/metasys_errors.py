"""The Metasys client's typed errors, one per documented status (the body's ``Message``)."""

from __future__ import annotations

from collections.abc import Mapping

from standin.clients._http import ApiError, RateLimitedError


class MetasysError(ApiError):
    """An error answer; ``message`` is the body's ``Message``."""

    @property
    def message(self) -> str:
        if isinstance(self.body, Mapping):
            return str(self.body.get("Message", ""))
        return str(self.body)


class MetasysValidationError(MetasysError):
    """400: a body, parameter or value the API refused."""


class MetasysAuthError(MetasysError):
    """401 after a fresh login, or a login refused."""


class MetasysForbidden(MetasysError):
    """403: not an API user, or not allowed to change this object."""


class MetasysTooManyRequests(RateLimitedError, MetasysForbidden):
    """403 with Retry-After, still, after the client's retries (or a wait beyond the
    transport's ceiling)."""


class MetasysNotFound(MetasysError):
    """404: an unknown identifier."""


class MetasysConflict(MetasysError):
    """409: the resource already exists (or a device is not offline)."""


class MetasysDeviceOffline(MetasysError):
    """503: the device holding the object is offline."""


ERRORS: dict[int, type[MetasysError]] = {
    400: MetasysValidationError,
    401: MetasysAuthError,
    403: MetasysForbidden,
    404: MetasysNotFound,
    409: MetasysConflict,
    503: MetasysDeviceOffline,
}
