"""A vendor state as bytes and back: a pickle in which what the state shares with the rest of the
sandbox is kept as a reference, not copied.

Clocks are bound again to the tenant's clock at load, anything the vendor's api object holds
(Atmotube's reading cache, BuildingMinds' processing times, the fixture) to that object. Keys
and certificates (Metasys' BACnet/SC credentials) are kept as PEM. A caller may name more
references (:mod:`standin._core.logrows` keeps capped logs and their records apart).
"""

from __future__ import annotations

import io
import pickle
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from standin._core.clock import Clock

if TYPE_CHECKING:
    from standin._core.api import VendorApi

Reference = tuple[Any, ...]
References = Callable[[Any], Reference | None]
"""Names an object to keep as a reference (a tuple), or None to pickle it."""
Binder = Callable[[Reference], object]
"""The object a reference names, at load."""

_IMMUTABLE = (str, bytes, int, float, complex, bool, type(None), tuple, frozenset)
_PLAIN = frozenset({*_IMMUTABLE, list, dict, set})
"""Built-in types: never a clock, a key, a certificate or a reference."""
_PRIVATE_KEYS = (ec.EllipticCurvePrivateKey, rsa.RSAPrivateKey, ed25519.Ed25519PrivateKey)


def shared_of(api: VendorApi) -> dict[int, str]:
    """What the api object holds, by identity: a state refers to these, never owns them."""
    return {
        id(value): name
        for name, value in vars(api).items()
        if type(value) not in _PLAIN and not isinstance(value, Clock)
    }


class SnapshotPickler(pickle.Pickler):
    """References go through :meth:`reducer_override`, which pickle calls for every object but
    ``None``, booleans and exact ints, floats, strings, bytes, tuples, lists, dicts and sets:
    a full state's hundreds of thousands of numbers and tuples cost no call into Python. So a
    shared object is referred to only if it is not of those types (no state holds its api's
    fixture dict itself; what it holds of it is copied)."""

    def __init__(
        self, file: io.BytesIO, shared: dict[int, str], more: References | None = None
    ) -> None:
        super().__init__(file, protocol=pickle.HIGHEST_PROTOCOL)
        self._shared = shared
        self._more = more
        self._ordinary: set[type] = set()
        """Types found to be no clock, key or certificate (in this pickle)."""

    def reducer_override(self, obj: Any) -> Any:
        kind = type(obj)
        if kind in _PLAIN:
            return NotImplemented
        name = self._shared.get(id(obj))
        if name is not None:
            return _bound, (("api", name),)
        if self._more is not None:
            reference = self._more(obj)
            if reference is not None:
                return _bound, (reference,)
        if kind in self._ordinary:
            return NotImplemented
        if isinstance(obj, Clock):
            return _bound, (("clock",),)
        special = self._special(obj)
        if special is None:
            self._ordinary.add(kind)
            return NotImplemented
        return special

    @staticmethod
    def _special(obj: Any) -> Any:
        """A key or a certificate as PEM, or None."""
        if isinstance(obj, _PRIVATE_KEYS):
            pem = obj.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
            return _load_private_key, (pem,)
        if isinstance(obj, x509.Certificate):
            return _load_certificate, (obj.public_bytes(serialization.Encoding.PEM),)
        if isinstance(obj, x509.CertificateSigningRequest):
            return _load_request, (obj.public_bytes(serialization.Encoding.PEM),)
        return None


def _bound(reference: Reference) -> object:
    """Stands for a reference in a snapshot: only :class:`SnapshotUnpickler` binds it."""
    raise pickle.UnpicklingError(f"{reference!r} is bound only when a snapshot is loaded")


class SnapshotUnpickler(pickle.Unpickler):
    def __init__(self, file: io.BytesIO, bind: Binder) -> None:
        super().__init__(file)
        self._bind = bind

    def find_class(self, module: str, name: str) -> Any:
        if module == __name__ and name == _bound.__name__:
            return self._bind
        return super().find_class(module, name)

    def persistent_load(self, pid: Any) -> object:
        """References as data directories written before this pickler kept them (persistent
        ids): they still load."""
        return self._bind(tuple(pid))


def _load_private_key(pem: bytes) -> object:
    return serialization.load_pem_private_key(pem, password=None)


def _load_certificate(pem: bytes) -> x509.Certificate:
    return x509.load_pem_x509_certificate(pem)


def _load_request(pem: bytes) -> x509.CertificateSigningRequest:
    return x509.load_pem_x509_csr(pem)


def dump(obj: object, shared: dict[int, str], more: References | None = None) -> bytes:
    buffer = io.BytesIO()
    SnapshotPickler(buffer, shared, more).dump(obj)
    return buffer.getvalue()


def load(blob: bytes, api: VendorApi, clock: Clock, more: Binder | None = None) -> object:
    def bind(pid: Reference) -> object:
        if pid == ("clock",):
            return clock
        if len(pid) == 2 and pid[0] == "api":
            return getattr(api, pid[1])
        if more is not None:
            return more(pid)
        raise pickle.UnpicklingError(f"unknown reference {pid!r}")

    return SnapshotUnpickler(io.BytesIO(blob), bind).load()


def dump_state(state: object, api: VendorApi) -> bytes:
    """The whole state in one pickle (capped logs included)."""
    return dump(state, shared_of(api))


def load_state(blob: bytes, api: VendorApi, clock: Clock) -> object:
    return load(blob, api, clock)
