"""Exact's OAuth2 authorization-code flow.

- ``GET /api/oauth2/auth`` shows a consent page; its form posts back to the same
  URL and approving redirects to ``redirect_uri?code=...&state=...``. There is
  no login: the stand-in has one user, already signed in.
- ``POST /api/oauth2/token`` exchanges a code (single use, valid 3 minutes) or a
  refresh token. Every refresh hands out a new refresh token and revokes the old
  one once the new pair is used; a new access token within ``refresh_interval``
  (570) seconds of the previous one is refused, as Exact refuses it.
"""

import secrets
from html import escape
from urllib.parse import urlencode

from .clock import Clock
from .config import StandinConfig
from .errors import OAuthError, Unauthorized
from .responses import Request, Response, html_response, json_response, redirect
from .store import Store

CONSENT_PAGE = """<!doctype html>
<html><head><title>Exact Online stand-in: allow access</title></head>
<body>
<h1>Allow access to Exact Online?</h1>
<p>The app <b>{client_id}</b> asks to read and write your company data.</p>
<form method="post" action="/api/oauth2/auth">
{hidden_fields}
<button type="submit" name="decision" value="approve">Allow</button>
<button type="submit" name="decision" value="deny">Deny</button>
</form>
</body></html>
"""


class OAuth:
    def __init__(self, config: StandinConfig, clock: Clock, store: Store) -> None:
        self._config = config
        self._clock = clock
        self._store = store

    def consent_page(self, request: Request) -> Response:
        params = request.query
        problem = self._authorization_problem(params)
        if problem:
            return _invalid_request_page(problem)
        hidden_fields = "\n".join(
            f'<input type="hidden" name="{escape(name)}" value="{escape(value)}">'
            for name, value in params.items()
            if name in ("client_id", "redirect_uri", "response_type", "state")
        )
        page = CONSENT_PAGE.format(client_id=escape(params["client_id"]), hidden_fields=hidden_fields)
        return html_response(200, page)

    def decide(self, request: Request) -> Response:
        """The consent form's answer: redirect back to the app."""
        params = request.form()
        problem = self._authorization_problem(params)
        if problem:
            return _invalid_request_page(problem)
        answer = {}
        if params.get("decision") == "approve":
            answer["code"] = self._new_authorization_code(params["redirect_uri"])
        else:
            answer["error"] = "access_denied"
        if "state" in params:
            answer["state"] = params["state"]
        separator = "&" if "?" in params["redirect_uri"] else "?"
        return redirect(params["redirect_uri"] + separator + urlencode(answer))

    def token(self, request: Request) -> Response:
        try:
            tokens = self._grant(request.form())
        except OAuthError as error:
            return json_response(error.status, error.body())
        return json_response(200, tokens, {"Cache-Control": "no-store"})

    def client_for(self, request: Request) -> str:
        """The client whose valid access token signs the request; 401 otherwise."""
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        row = self._store.tokens_by_access(token) if scheme.lower() == "bearer" else None
        if row is None:
            raise Unauthorized(None)
        if row["access_expires_at"] <= self._clock.now():
            raise Unauthorized(row["client_id"])
        self._store.revoke_refresh_tokens_before(row)  # A pair in use retires every earlier refresh token.
        return row["client_id"]

    def _authorization_problem(self, params: dict) -> str | None:
        if params.get("client_id") != self._config.client_id:
            return "Unknown client_id."
        if params.get("redirect_uri") != self._config.redirect_uri:
            return "The redirect_uri does not match the one registered for the app."
        if params.get("response_type") != "code":
            return "response_type must be 'code'."
        return None

    def _new_authorization_code(self, redirect_uri: str) -> str:
        code = secrets.token_urlsafe(32)
        expires_at = self._clock.now() + self._config.authorization_code_lifetime
        self._store.add_authorization_code(code, self._config.client_id, redirect_uri, expires_at)
        return code

    def _grant(self, form: dict) -> dict:
        if form.get("client_id") != self._config.client_id or form.get("client_secret") != self._config.client_secret:
            raise OAuthError("invalid_client", "Unknown client or wrong secret.")
        grant_type = form.get("grant_type")
        if grant_type == "authorization_code":
            return self._grant_authorization_code(form)
        if grant_type == "refresh_token":
            return self._grant_refresh_token(form)
        raise OAuthError("unsupported_grant_type", f"Unsupported grant_type {grant_type!r}.")

    def _grant_authorization_code(self, form: dict) -> dict:
        row = self._store.take_authorization_code(form.get("code", ""))
        if row is None:
            raise OAuthError("invalid_grant", "The authorization code is unknown or already used.")
        if row["expires_at"] <= self._clock.now():
            raise OAuthError("invalid_grant", "The authorization code has expired.")
        if form.get("redirect_uri") != row["redirect_uri"]:
            raise OAuthError(
                "invalid_grant",
                "The redirect_uri differs from the authorization request.",
            )
        return self._issue_tokens(row["client_id"])

    def _grant_refresh_token(self, form: dict) -> dict:
        """A new pair for a refresh token. The old refresh token keeps working until the new pair is used (a
        refresh whose answer was lost can be repeated with it); refreshes closer together than
        ``refresh_interval`` are refused."""
        refresh_token = form.get("refresh_token", "")
        with self._store.transaction():
            row = self._store.tokens_by_refresh(refresh_token)
            if row is None or row["client_id"] != form["client_id"]:
                raise OAuthError("invalid_grant", "Unknown refresh token.")
            if row["revoked"]:
                raise OAuthError("invalid_grant", "Old refresh token used.")
            waited = self._clock.now() - (self._store.last_issued_at(row["client_id"]) or 0)
            if waited < self._config.refresh_interval:
                raise OAuthError(
                    "invalid_request",
                    f"Access token requested too early: request a new one at most once every "
                    f"{self._config.refresh_interval} seconds (the last was {int(waited)} seconds ago).",
                )
            self._store.revoke_refresh_tokens_before(row)  # This pair is in use now.
            return self._issue_tokens(row["client_id"])

    def _issue_tokens(self, client_id: str) -> dict:
        access_token = secrets.token_urlsafe(48)
        refresh_token = secrets.token_urlsafe(48)
        lifetime = self._config.access_token_lifetime
        self._store.add_tokens(access_token, refresh_token, client_id, self._clock.now(), lifetime)
        # Exact sends expires_in as a string.
        return {
            "access_token": access_token,
            "token_type": "bearer",
            "expires_in": str(lifetime),
            "refresh_token": refresh_token,
        }


def _invalid_request_page(problem: str) -> Response:
    # Exact shows an error page and, with an unregistered redirect_uri, must
    # not redirect anywhere.
    return html_response(400, f"<h1>Invalid request</h1><p>{escape(problem)}</p>")
