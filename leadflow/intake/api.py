"""The JSON API: POST /api/leads/ (idempotent with Idempotency-Key), GET /api/leads/ and /api/leads/{id}/."""

from typing import Any

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest, JsonResponse
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import authentication, exceptions, permissions
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from leadflow.core.api import error_body
from leadflow.core.exceptions import NotFound, PayloadTooLarge, PermissionDenied, RateLimited
from leadflow.core.ratelimit import Limit, rate_limited
from leadflow.intake import services
from leadflow.intake.models import ApiToken, IdempotencyKey
from leadflow.intake.selectors import leads_for_token
from leadflow.intake.serializers import (
    MAX_PAGE_SIZE,
    ErrorSerializer,
    LeadCreateSerializer,
    LeadDetailSerializer,
    LeadListQuerySerializer,
    LeadPageSerializer,
)
from leadflow.intake.views import request_meta

LIST_FILTERS = {
    "state": "state",
    "external_id": "external_id",
    "email": "email__iexact",
    "created_after": "created_at__gte",
    "created_before": "created_at__lt",
}
ERRORS = dict.fromkeys((400, 401, 403, 404, 409, 413, 415, 429, 503), ErrorSerializer)
CREATE_EXAMPLE = {
    "first_name": "Anna",
    "last_name": "de Vries",
    "email": "anna@example.nl",
    "phone": "+31 20 123 4567",
    "company": "Voorbeeld BV",
    "country": "NL",
    "external_id": "crm-4711",
    "utm_campaign": "spring",
    "newsletter": "yes",
}


class ApiTokenAuthentication(authentication.BaseAuthentication):
    """`Authorization: Bearer <key>` with a token made in the admin."""

    keyword = "Bearer"

    def authenticate(self, request: Request) -> tuple[None, ApiToken] | None:
        header = authentication.get_authorization_header(request).decode(errors="replace").split()
        if not header or header[0].lower() not in ("bearer", "token"):
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed("Send the header as: Authorization: Bearer <key>.")
        token = services.api_token_authenticate(raw=header[1])
        if token is None:
            raise exceptions.AuthenticationFailed("Unknown or revoked API key.")
        return None, token

    def authenticate_header(self, request: Request) -> str:
        return self.keyword


class ApiTokenScheme(OpenApiAuthenticationExtension):
    target_class = "leadflow.intake.api.ApiTokenAuthentication"
    name = "apiToken"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {"type": "http", "scheme": "bearer", "description": "An API key created in the admin."}


class HasApiToken(permissions.BasePermission):
    def has_permission(self, request: Request, view: Any) -> bool:
        if not isinstance(request.auth, ApiToken):
            raise exceptions.NotAuthenticated("Send an API key: Authorization: Bearer <key>.")
        return True


class LeadPagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE


class TokenApiView(APIView):
    authentication_classes = [ApiTokenAuthentication]
    permission_classes = [HasApiToken]

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        if int(request.META.get("CONTENT_LENGTH") or 0) > settings.LEADFLOW_INTAKE_MAX_BODY_BYTES:
            raise PayloadTooLarge(f"Send at most {settings.LEADFLOW_INTAKE_MAX_BODY_BYTES} bytes per request.")
        super().initial(request, *args, **kwargs)
        if rate_limited(Limit(f"api:{request.auth.pk}", settings.LEADFLOW_API_RATE_LIMIT)):
            raise RateLimited("Too many requests with this API key; retry later.", retry_after=60)

    def readable_leads(self, request: Request, filters: dict[str, Any] | None = None) -> Any:
        if not request.auth.can_read:
            raise PermissionDenied("This API key may create leads but not read them.")
        return leads_for_token(token=request.auth, filters=filters)


class LeadListCreateApi(TokenApiView):
    @extend_schema(
        operation_id="leads_create",
        summary="Create a lead",
        description="Known fields are validated; any other key is kept in custom_fields. Send an Idempotency-Key "
        "header so that a retry returns the first response instead of creating a second lead.",
        # JSON is the contract; a plain form post is accepted too but not documented (a form has no null).
        request={"application/json": LeadCreateSerializer},
        parameters=[OpenApiParameter("Idempotency-Key", OpenApiTypes.STR, OpenApiParameter.HEADER)],
        responses={201: LeadDetailSerializer, **ERRORS},
        examples=[
            OpenApiExample("A lead", value=CREATE_EXAMPLE, request_only=True),
            OpenApiExample(
                "Invalid email",
                value={
                    "error": {
                        "code": "invalid",
                        "message": "Some fields are not valid.",
                        "fields": {"email": ["Enter a valid email address."]},
                    }
                },
                response_only=True,
                status_codes=["400"],
            ),
        ],
    )
    def post(self, request: Request) -> Response:
        body = request.body  # read before DRF parses it: the raw bytes identify the request for idempotency
        key = request.headers.get("Idempotency-Key", "").strip()
        if len(key) > 255:
            raise exceptions.ValidationError({"Idempotency-Key": ["At most 255 characters."]})
        if key:
            stored = services.idempotent_replay(token=request.auth, key=key, body=body)
            if stored is not None:
                return _replay(stored)
        values = LeadCreateSerializer.shared().run_validation(request.data)  # ValidationError → 400
        try:
            with transaction.atomic():
                submission = services.api_lead_create(
                    token=request.auth, values=values, payload=request.data, meta=request_meta(request)
                )
                data = LeadDetailSerializer.shared().to_representation(submission.lead)
                if key:
                    services.idempotency_record(token=request.auth, key=key, body=body, status=201, response=data)
        except (services.IdempotencyKeyInProgress, services.ExternalIdTaken):
            # A concurrent twin with the same key committed while this one ran: answer as it did.
            stored = key and services.idempotent_replay(token=request.auth, key=key, body=body)
            if stored:
                return _replay(stored)
            raise
        return Response(data, status=201)

    @extend_schema(
        operation_id="leads_list",
        summary="List this key's leads",
        parameters=[LeadListQuerySerializer],
        responses={200: LeadPageSerializer, **ERRORS},
    )
    def get(self, request: Request) -> Response:
        # A plain dict, not the QueryDict: DRF would read `state=` as "not sent" and list every lead.
        query = LeadListQuerySerializer(data=request.query_params.dict())
        query.is_valid(raise_exception=True)  # a malformed filter or page is a 400, never silently ignored
        filters = {LIST_FILTERS[k]: v for k, v in query.validated_data.items() if k in LIST_FILTERS and v}
        paginator = LeadPagination()
        page = paginator.paginate_queryset(self.readable_leads(request, filters), request, view=self)
        return paginator.get_paginated_response(LeadDetailSerializer(page, many=True).data)


class LeadDetailApi(TokenApiView):
    @extend_schema(
        operation_id="leads_retrieve", summary="Read one lead", responses={200: LeadDetailSerializer, **ERRORS}
    )
    def get(self, request: Request, lead_id: int) -> Response:
        lead = self.readable_leads(request).filter(pk=lead_id).first()
        if lead is None:
            raise NotFound(f"No lead {lead_id} for this API key.")
        return Response(LeadDetailSerializer(lead).data)


def unknown_api_path(request: HttpRequest, path: str) -> JsonResponse:
    """Any other /api/ URL (e.g. /api/leads/abc/): the API's JSON 404, not the site's HTML page."""
    return JsonResponse(error_body("not_found", "No such API endpoint; see /api/docs/."), status=404)


def _replay(stored: IdempotencyKey) -> Response:
    return Response(stored.response_body, status=stored.response_status, headers={"Idempotent-Replayed": "true"})
