"""The sandbox's own control API under /_sandbox/ (not Salesforce): faults, config, inspection.

No authentication and no API-call counting, so tests can inspect the org without disturbing it.
"""

import re

from . import faults
from .errors import ApiError, api_error, bad_request
from .messages import Request, Response
from .state import SandboxState

RECORDS_PATH = re.compile(r"^/_sandbox/records/(?P<sobject>\w+)/?$")


def handle_control(state: SandboxState, request: Request) -> Response:
    try:
        return _dispatch(state, request)
    except ApiError as error:
        return Response(error.status, error.errors)
    except (KeyError, TypeError, ValueError) as problem:
        return Response(400, [{"errorCode": "INVALID_INPUT", "message": repr(problem)}])


def _dispatch(state: SandboxState, request: Request) -> Response:
    path = request.path.rstrip("/")
    found = RECORDS_PATH.match(path)
    if found and request.method == "GET":
        return _records(state, found.group("sobject"))
    routes = {
        ("GET", "/_sandbox/stats"): _stats,
        ("GET", "/_sandbox/faults"): _faults,
        ("POST", "/_sandbox/faults"): _add_fault,
        ("DELETE", "/_sandbox/faults"): _clear_faults,
        ("GET", "/_sandbox/config"): _config,
        ("POST", "/_sandbox/config"): _configure,
        ("POST", "/_sandbox/reset"): _reset,
    }
    handler = routes.get((request.method, path))
    if handler is None:
        raise api_error(404, "NOT_FOUND", f"No sandbox control endpoint {request.method} {path}")
    return handler(state, request)


def _records(state: SandboxState, sobject: str) -> Response:
    sobject_type = state.settings.sobject_type(sobject)
    records = state.store.all(sobject_type.name)
    return Response(200, {"totalSize": len(records), "records": records})


def _stats(state: SandboxState, request: Request) -> Response:
    return Response(
        200,
        {
            "api_calls_used": state.usage.used,
            "api_limit": state.settings.api_limit,
            "calls_by_endpoint": dict(state.usage.by_endpoint),
            "active_sessions": len(state.sessions),
        },
    )


def _faults(state: SandboxState, request: Request) -> Response:
    return Response(200, {"faults": state.faults.as_json()})


def _add_fault(state: SandboxState, request: Request) -> Response:
    fault = faults.Fault.from_json(_object(request))
    if fault.kind == faults.EXPIRE_SESSIONS:
        state.sessions.expire_all()
    elif fault.kind == faults.LIMIT_EXCEEDED:
        state.usage.set_used(state.settings.api_limit)
    else:
        state.faults.arm(fault)
    return Response(201, {"faults": state.faults.as_json()})


def _clear_faults(state: SandboxState, request: Request) -> Response:
    state.faults.clear()
    return Response(200, {"faults": []})


def _config(state: SandboxState, request: Request) -> Response:
    return Response(200, {**state.settings.as_json(), "api_used": state.usage.used})


def _configure(state: SandboxState, request: Request) -> Response:
    changes = _object(request)
    state.settings.configure(changes)
    if "api_used" in changes:
        state.usage.set_used(int(changes["api_used"]))
    return _config(state, request)


def _reset(state: SandboxState, request: Request) -> Response:
    state.reset()
    return Response(200, {"reset": True})


def _object(request: Request) -> dict:
    if not isinstance(request.body, dict):
        raise bad_request("INVALID_INPUT", "Expected a JSON object")
    return request.body
