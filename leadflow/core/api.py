"""The one DRF exception handler: every API error is JSON of the same shape, with the right status code.

    {"error": {"code": "invalid", "message": "…", "fields": {"email": ["Enter a valid email address."]}}}

`fields` appears for validation errors; `detail` carries an ApplicationError's structured `extra`.
"""

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import InterfaceError, OperationalError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.response import Response

from leadflow.core.exceptions import ApplicationError, PayloadTooLarge, TryAgainLater

RETRY_AFTER_SECONDS = 5


class FirstRendererWhenNothingMatches(DefaultContentNegotiation):
    """An Accept header the view cannot satisfy (`text/html` on a JSON API) gets the view's first renderer, not
    406: the client still learns what happened, and a POST is never refused after being understood."""

    def select_renderer(self, request: Any, renderers: list[Any], format_suffix: str | None = None) -> tuple[Any, str]:
        try:
            return super().select_renderer(request, renderers, format_suffix)
        except exceptions.NotAcceptable:
            return renderers[0], renderers[0].media_type


def error_body(code: str, message: str, *, fields: Any = None, detail: Any = None) -> dict[str, Any]:
    error: dict[str, Any] = {"code": code, "message": message}
    if fields:
        error["fields"] = fields
    if detail:
        error["detail"] = detail
    return {"error": error}


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, RequestDataTooBig):
        exc = PayloadTooLarge("The request body is too large.")
    if isinstance(exc, OperationalError | InterfaceError):
        exc = TryAgainLater("The service cannot store anything right now; send the same request again shortly.")
    if isinstance(exc, ApplicationError):
        response = Response(error_body(exc.code, exc.message, detail=exc.extra), status=exc.status_code)
        if isinstance(exc, TryAgainLater):
            response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        elif getattr(exc, "retry_after", None):  # RateLimited, an idempotency key in progress
            response["Retry-After"] = str(exc.retry_after)
        return response
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(exc.message_dict if hasattr(exc, "error_dict") else exc.messages)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    if not isinstance(exc, exceptions.APIException):
        return None  # a bug: let Django log it and answer 500
    headers = {}
    if getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = exc.auth_header
    if getattr(exc, "wait", None):
        headers["Retry-After"] = str(int(exc.wait))
    if isinstance(exc, exceptions.ValidationError):
        fields = _fields(exc.detail)
        if not isinstance(fields, dict):  # the body as a whole was wrong (null, a list, a number)
            fields = {"non_field_errors": fields}
        body = error_body("invalid", "Some fields are not valid.", fields=fields)
        return Response(body, status=status.HTTP_400_BAD_REQUEST, headers=headers)
    codes = exc.get_codes()
    code = codes if isinstance(codes, str) else "error"
    return Response(error_body(code, str(exc.detail)), status=exc.status_code, headers=headers)


def _fields(detail: Any) -> Any:
    """DRF's nested detail as plain strings."""
    if isinstance(detail, dict):
        return {name: _fields(value) for name, value in detail.items()}
    if isinstance(detail, list):
        if all(isinstance(item, str) for item in detail):
            return [str(item) for item in detail]
        return [_fields(item) for item in detail]
    return [str(detail)]
