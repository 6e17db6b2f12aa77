"""Where an injected fault meets a request: wait its latency, then answer in its place.

The sandbox middleware applies the default tenant's faults to requests that reach no tenant
(token endpoints, unknown paths); the caller seam applies the caller's tenant's faults once it
knows the tenant. Either way the fault that answered is left in the request's ``state`` for the
journal.
"""

from __future__ import annotations

import anyio
from starlette.types import Receive, Scope, Send

from standin._core.errors import VendorError
from standin._core.faults import Fault
from standin._core.handlers import error_response

INJECTED_FAULT_BODY = {"message": "Injected fault"}
FAULT_STATE_KEY = "standin.fault"
"""Where the id of the fault that applied to a request is left for the journal."""


def vendor_path(scope: Scope) -> str:
    """The request path as the vendor sees it (without a mount prefix)."""
    path: str = scope["path"]
    root: str = scope.get("root_path", "")
    if root and path.startswith(root):
        path = path[len(root) :] or "/"
    return path


async def apply_fault(fault: Fault, scope: Scope, receive: Receive, send: Send) -> bool:
    """Delay the request by the fault's latency and, if it has a status, answer with it.

    Returns whether the fault answered (the request must then go no further).
    """
    state = scope.get("state")
    if isinstance(state, dict):
        state[FAULT_STATE_KEY] = fault.id
    if fault.latency_ms:
        await anyio.sleep(fault.latency_ms / 1000)
    if fault.status is None:
        return False
    body = INJECTED_FAULT_BODY if fault.body is None else fault.body
    await error_response(VendorError(fault.status, body, fault.headers))(scope, receive, send)
    return True


def applied_fault(scope: Scope) -> str | None:
    """The id of the fault that applied to the request, if one did."""
    state = scope.get("state")
    fault_id = state.get(FAULT_STATE_KEY) if isinstance(state, dict) else None
    return fault_id if isinstance(fault_id, str) else None
