"""POST /services/oauth2/token: the client-credentials and JWT bearer flows of a connected app."""

import base64
import hashlib
import hmac
import time
from urllib.parse import parse_qs

import jwt

from .messages import Request, Response
from .state import ORG_ID, USER_ID, SandboxState

CLIENT_CREDENTIALS = "client_credentials"
JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
STANDARD_AUDIENCES = {"https://login.salesforce.com", "https://test.salesforce.com"}


class OAuthError(Exception):
    def __init__(self, error: str, description: str) -> None:
        super().__init__(description)
        self.error = error
        self.description = description


def token_endpoint(state: SandboxState, request: Request) -> Response:
    form = _form(request)
    try:
        grant_type = form.get("grant_type")
        if grant_type == CLIENT_CREDENTIALS:
            _check_client_credentials(state, request, form)
        elif grant_type == JWT_BEARER:
            _check_assertion(state, form.get("assertion", ""), _own_url(state, request))
        else:
            raise OAuthError("unsupported_grant_type", "grant type not supported")
    except OAuthError as error:
        body = {"error": error.error, "error_description": error.description}
        return Response(400, body)
    return Response(200, _token_response(state, _own_url(state, request)))


def _form(request: Request) -> dict[str, str]:
    """Parameters from the form body, falling back to the query string like Salesforce does."""
    raw = request.body if isinstance(request.body, str) else ""
    fields = parse_qs(request.query_string) | parse_qs(raw)
    return {name: values[0] for name, values in fields.items()}


def _check_client_credentials(state: SandboxState, request: Request, form: dict[str, str]) -> None:
    client_id, client_secret = form.get("client_id"), form.get("client_secret")
    authorization = request.header("authorization")
    if authorization.lower().startswith("basic "):
        decoded = base64.b64decode(authorization[6:]).decode(errors="replace")
        client_id, _, client_secret = decoded.partition(":")
    if client_id != state.client_id:
        raise OAuthError("invalid_client_id", "client identifier invalid")
    if not hmac.compare_digest(client_secret or "", state.client_secret):
        raise OAuthError("invalid_client", "invalid client credentials")


def _own_url(state: SandboxState, request: Request) -> str:
    """The URL the client reached us by, so instance_url also works behind Docker or a proxy."""
    host = request.header("host")
    return f"http://{host}" if host else state.base_url


def _check_assertion(state: SandboxState, assertion: str, base_url: str) -> None:
    verify = state.jwt_public_key is not None
    try:
        claims = jwt.decode(
            assertion,
            key=state.jwt_public_key or "",
            algorithms=["RS256"],
            options={
                "verify_signature": verify,
                "verify_exp": False,
                "verify_aud": False,
            },
        )
    except jwt.PyJWTError:
        raise OAuthError("invalid_grant", "invalid assertion") from None
    if claims.get("iss") != state.client_id:
        raise OAuthError("invalid_client_id", "client identifier invalid")
    if claims.get("aud") not in STANDARD_AUDIENCES | {base_url}:
        raise OAuthError("invalid_grant", "audience is invalid")
    if not isinstance(claims.get("exp"), (int, float)) or claims["exp"] < time.time():
        raise OAuthError("invalid_grant", "expired authorization code")
    if not claims.get("sub"):
        raise OAuthError("invalid_grant", "user hasn't approved this consumer")


def _token_response(state: SandboxState, base_url: str) -> dict:
    identity = f"{base_url}/id/{ORG_ID}/{USER_ID}"
    issued_at = str(int(time.time() * 1000))
    # Salesforce signs identity URL + issued_at with the client secret so clients can verify both.
    digest = hmac.new(state.client_secret.encode(), (identity + issued_at).encode(), hashlib.sha256)
    return {
        "access_token": state.sessions.issue(),
        "signature": base64.b64encode(digest.digest()).decode(),
        "scope": "api",
        "instance_url": base_url,
        "id": identity,
        "token_type": "Bearer",
        "issued_at": issued_at,
    }
