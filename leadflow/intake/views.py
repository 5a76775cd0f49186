"""The visitor's side of a form: its definition for embed.js, the hosted page (iframe), and the submit endpoint
that the script, the hosted page and the plain HTML embed all post to."""

import json
from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.db import DatabaseError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import get_language_from_request
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from leadflow.core.api import RETRY_AFTER_SECONDS, error_body
from leadflow.core.ratelimit import Limit, client_address, rate_limited
from leadflow.intake.forms import HIDDEN_FIELDS, HONEYPOT_FIELD, TIMESTAMP_FIELD, input_type
from leadflow.intake.models import LANGUAGE_CODES, LeadForm
from leadflow.intake.selectors import form_get_active
from leadflow.intake.services import RequestMeta, form_submission_receive, form_timestamp_issue
from leadflow.intake.texts import text


def request_meta(request: HttpRequest) -> RequestMeta:
    return RequestMeta(
        ip_address=request.META.get("REMOTE_ADDR") or None,
        user_agent=request.headers.get("User-Agent", "")[:500],
        origin=request.headers.get("Origin", "")[:255],
    )


def visitor_language(request: HttpRequest, form: LeadForm, requested: str = "") -> str:
    for candidate in (requested, request.GET.get("lang", ""), get_language_from_request(request)):
        code = (candidate or "")[:2].lower()
        if code in LANGUAGE_CODES:
            return code
    return form.default_language


def form_for_request(request: HttpRequest, key: str) -> LeadForm:
    """The active form, looked up once per request (the CORS check needs it too)."""
    cached = getattr(request, "_intake_form", None)
    if cached is None or cached.key != key:
        cached = form_get_active(key=key)
        if cached is None:
            raise Http404("No such form.")
        request._intake_form = cached
    return cached


def database_down_answer(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Nothing could be stored or read: say "try again" (JSON for scripts, a page for people), never thank you."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except DatabaseError:
            language = (request.GET.get("lang") or get_language_from_request(request) or "en")[:2]
            message = text("try_again", language if language in LANGUAGE_CODES else "en")
            if wants_json(request):
                response = JsonResponse(error_body("try_again", message), status=503)
            else:
                response = render(request, "intake/try_again.html", {"message": message}, status=503)
            response["Retry-After"] = str(RETRY_AFTER_SECONDS)
            return response

    return wrapped


def csrf_checked_with_session(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Embeds post from other sites without a session, so CSRF cannot apply; a request that carries a Leadflow
    session cookie (a staff member's browser) is checked as usual."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if settings.SESSION_COOKIE_NAME in request.COOKIES:
            rejection = CsrfViewMiddleware(view).process_view(request, view, args, kwargs)
            if rejection is not None:
                return rejection
        return view(request, *args, **kwargs)

    return csrf_exempt(wrapped)


def wants_json(request: HttpRequest) -> bool:
    return request.content_type == "application/json" or "application/json" in request.headers.get("Accept", "")


def form_context(form: LeadForm, language: str) -> dict[str, Any]:
    """Everything needed to draw the form, in one language: used by the hosted page and embed.js alike."""
    return {
        "key": form.key,
        "language": language,
        "fields": [
            {
                "name": f.name,
                "label": f.text("label", language),
                "help": f.text("help", language),
                "required": f.required,
                "type": input_type(f.name),
            }
            for f in form.fields.all()
        ],
        "hidden": list(HIDDEN_FIELDS),
        "honeypot": {"name": HONEYPOT_FIELD, "label": text("honeypot", language)},
        "timestamp": {"name": TIMESTAMP_FIELD, "value": form_timestamp_issue(form=form)},
        "consent": form.text("consent_text", language),
        "texts": {
            name: text(name, language)
            for name in ("submit", "sending", "fix_errors", "try_again", "too_many", "too_large", "required")
        },
        "submit_url": settings.LEADFLOW_BASE_URL + reverse("intake:form-submit", args=[form.key]),
    }


@require_GET
@database_down_answer
def form_definition(request: HttpRequest, key: str) -> JsonResponse:
    form = form_for_request(request, key)
    response = JsonResponse(form_context(form, visitor_language(request, form)))
    response["Cache-Control"] = "no-store"  # carries a fresh timestamp
    return response


@require_GET
@xframe_options_exempt
@database_down_answer
def form_page(request: HttpRequest, key: str) -> HttpResponse:
    form = form_for_request(request, key)
    return hosted_form_response(request, form, visitor_language(request, form), values={}, errors={})


def hosted_form_response(
    request: HttpRequest,
    form: LeadForm,
    language: str,
    *,
    values: Any,
    errors: dict,
    status: int = 200,
    notice: str = "",
) -> HttpResponse:
    context = form_context(form, language)
    for field in context["fields"]:
        field["value"] = values.get(field["name"], "")
        field["errors"] = errors.get(field["name"], [])
    context.update(
        values=values,
        consent_errors=errors.get("consent", []),
        hidden_fields=[{"name": n, "value": values.get(n) or request.GET.get(n, "")} for n in HIDDEN_FIELDS],
        error_summary=notice or (text("fix_errors", language) if errors else ""),
        return_to=_return_address(request, form, values),
    )
    response = render(request, "intake/form_page.html", context, status=status)
    return allow_framing_by(response, form)


def allow_framing_by(response: HttpResponse, form: LeadForm) -> HttpResponse:
    """The hosted page may be framed by the form's allowed origins only (X-Frame-Options cannot list origins)."""
    response._csp_replace = {"frame-ancestors": ["'self'", *form.origins]}  # read by django-csp's middleware
    response.xframe_options_exempt = True
    return response


@require_POST
@csrf_checked_with_session
@database_down_answer
def form_submit(request: HttpRequest, key: str) -> HttpResponse:
    form = form_for_request(request, key)
    as_json = wants_json(request)
    if int(request.META.get("CONTENT_LENGTH") or 0) > settings.LEADFLOW_INTAKE_MAX_BODY_BYTES:
        return _refusal(request, form, as_json, "too_large", 413)
    data = _submitted_data(request, as_json)
    if data is None:
        body = error_body("invalid", "Send the form's fields as a JSON object or as form data.")
        return JsonResponse(body, status=400 if request.content_type == "application/json" else 415)
    language = visitor_language(request, form, str(data.get("language") or ""))
    if _rate_limited(request, form):
        return _refusal(request, form, as_json, "too_many", 429, language=language, values=data)
    outcome = form_submission_receive(form=form, data=data, language=language, meta=request_meta(request))
    if not outcome.is_valid:
        if as_json:
            return JsonResponse(error_body("invalid", text("fix_errors", language), fields=outcome.errors), status=400)
        return hosted_form_response(request, form, language, values=data, errors=outcome.errors, status=400)
    thank_you = form.text("thank_you", language)
    if as_json:
        return JsonResponse({"status": "ok", "message": thank_you, "redirect": form.redirect_url})
    if form.redirect_url:
        return HttpResponseRedirect(form.redirect_url)
    query = {"lang": language}
    back = _return_address(request, form, data)
    if back:
        query["return"] = back
    return HttpResponseRedirect(reverse("intake:form-thanks", args=[form.key]) + "?" + urlencode(query))


@require_GET
@xframe_options_exempt
@database_down_answer
def form_thanks(request: HttpRequest, key: str) -> HttpResponse:
    form = form_for_request(request, key)
    language = visitor_language(request, form)
    back = request.GET.get("return", "")
    context = {
        "message": form.text("thank_you", language),
        "language": language,
        "back": back if _origin_of(back) in form.origins else "",
        "back_label": text("back", language),
    }
    return allow_framing_by(render(request, "intake/thanks.html", context), form)


def _submitted_data(request: HttpRequest, as_json: bool) -> dict[str, Any] | None:
    if request.content_type == "application/json":
        try:
            data = json.loads(request.body or b"{}")
        except (ValueError, UnicodeDecodeError):
            return None
        return data if isinstance(data, dict) else None
    if request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        return request.POST
    return None


def _rate_limited(request: HttpRequest, form: LeadForm) -> bool:
    return rate_limited(
        Limit(f"form-ip:{client_address(request)}", settings.LEADFLOW_FORM_RATE_LIMIT_PER_IP),
        Limit(f"form:{form.key}", settings.LEADFLOW_FORM_RATE_LIMIT_PER_FORM),
    )


def _refusal(
    request: HttpRequest,
    form: LeadForm,
    as_json: bool,
    reason: str,
    status: int,
    *,
    language: str = "",
    values: Any = None,
) -> HttpResponse:
    """A 413 or 429 that keeps the visitor's values (hosted page) and tells the script when to retry."""
    language = language or visitor_language(request, form)
    message = text(reason, language)
    if as_json:
        response = JsonResponse(error_body(reason, message), status=status)
    else:
        response = hosted_form_response(
            request, form, language, values=values or {}, errors={}, status=status, notice=message
        )
    if status == 429:
        response["Retry-After"] = "60"
    return response


def _return_address(request: HttpRequest, form: LeadForm, values: Any) -> str:
    """Where the visitor came from on the embedding site, if that site is one of the form's origins."""
    for candidate in (values.get("lf_return"), request.GET.get("return"), request.headers.get("Referer")):
        if candidate and _origin_of(candidate) in form.origins:
            return candidate
    return ""


def _origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""
