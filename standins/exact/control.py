"""The control API under /_standin/: not Exact, a test's remote control.

JSON in, JSON out, no authentication. See README.md for the list.
"""

from .responses import Request, Response, json_response
from .standin import Standin


class ControlError(Exception):
    """A bad control request; answered 400 with {"error": message}."""


def reset(standin: Standin, request: Request) -> Response:
    standin.reset()
    return json_response(200, {"reset": True})


def config(standin: Standin, request: Request) -> Response:
    if request.method == "POST":
        try:
            standin.config.update(_json_object(request))
        except (TypeError, ValueError) as error:
            raise ControlError(str(error)) from error
    return json_response(200, standin.config.as_dict())


def stored_accounts(standin: Standin, request: Request) -> Response:
    division = request.query.get("division")
    if division is not None and not division.isdigit():
        raise ControlError("division must be a number")
    rows = standin.store.accounts(int(division) if division else None)
    return json_response(200, {"accounts": rows})


def receivables(standin: Standin, request: Request) -> Response:
    """POST one open item {AccountId, Amount, DueDate "YYYY-MM-DD", ...}; GET lists them."""
    if request.method == "POST":
        item = _json_object(request)
        if not isinstance(item.get("AccountId"), str) or not isinstance(item.get("Amount"), int | float):
            raise ControlError("AccountId (text) and Amount (number) are required")
        standin.receivables.append(item)
    return json_response(200, {"receivables": standin.receivables})


def stats(standin: Standin, request: Request) -> Response:
    return json_response(200, standin.stats())


def calls(standin: Standin, request: Request) -> Response:
    return json_response(200, {"calls": standin.calls()})


def expire_tokens(standin: Standin, request: Request) -> Response:
    standin.store.expire_access_tokens(standin.clock.now(), standin.config.refresh_interval)
    return json_response(200, {"expired": True})


def faults(standin: Standin, request: Request) -> Response:
    if request.method == "POST":
        try:
            standin.faults.arm(_json_object(request))
        except (TypeError, ValueError) as error:
            raise ControlError(str(error)) from error
    elif request.method == "DELETE":
        standin.faults.clear()
    return json_response(200, {"faults": standin.faults.armed()})


def clock(standin: Standin, request: Request) -> Response:
    if request.method == "POST":
        change = _json_object(request)
        seconds = change.get("advance_seconds", 0)
        if not isinstance(seconds, int | float) or isinstance(seconds, bool):
            raise ControlError("advance_seconds must be a number")
        if seconds < 0:
            raise ControlError("the clock only moves forward")
        if not isinstance(change.get("frozen", False), bool):
            raise ControlError("frozen must be true or false")
        if change.get("frozen") is True:
            standin.clock.freeze()
        elif change.get("frozen") is False:
            standin.clock.unfreeze()
        standin.clock.advance(seconds)
    return json_response(200, {"now": standin.clock.now(), "frozen": standin.clock.frozen})


def _json_object(request: Request) -> dict:
    try:
        data = request.json()
    except ValueError as error:
        raise ControlError("body must be JSON") from error
    if not isinstance(data, dict):
        raise ControlError("body must be a JSON object")
    return data


def error_response(error: ControlError) -> Response:
    return json_response(400, {"error": str(error)})
