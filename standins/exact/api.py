"""Exact's REST API under /api/v1: current/Me and crm/Accounts.

Every call passes the same gate as at Exact: a valid bearer token, the error
ban, the daily and minutely limits; every answer carries X-RateLimit headers.
"""

from collections.abc import Callable
from datetime import UTC, datetime
from urllib.parse import urlencode

from . import accounts, odata
from .accounts import AccountError
from .errors import ApiError, Unauthorized, odata_error_body
from .responses import Request, Response, json_response
from .standin import Standin

ME_TYPE = "Exact.Web.Api.System.Me"
# The answers Exact counts towards its hourly error ban.
BANNED_ERRORS = {400, 401, 403, 404}
Action = Callable[[int], Response]


def serve(
    standin: Standin,
    request: Request,
    endpoint: str,
    division: str | None,
    action: Action,
) -> Response:
    """Run ``action(division)`` behind Exact's gate. ``division`` is the path
    segment, or None for endpoints outside a division (current/Me)."""
    try:
        client_id = standin.oauth.client_for(request)
    except Unauthorized as error:
        if error.client_id:
            standin.error_ban.record_error((error.client_id, division, endpoint))
        response = error_response(error)
        response.headers["WWW-Authenticate"] = 'Bearer error="invalid_token"'
        return response
    limit_key = (client_id, division or str(standin.config.division))
    ban_key = (client_id, division, endpoint)
    banned_until = standin.error_ban.banned_until(ban_key)
    if banned_until is not None:
        response = error_response(ApiError(429, _ban_message(banned_until)))
        response.headers.update(standin.limiter.headers(limit_key))
        return response
    allowed, limit_headers = standin.limiter.take(limit_key)
    if allowed:
        response = _answer(standin.config.division, request, division, action)
        if response.status in BANNED_ERRORS:
            standin.error_ban.record_error(ban_key)
    else:
        response = error_response(ApiError(429, "API rate limit exceeded."))
    response.headers.update(limit_headers)
    return response


def error_response(error: ApiError) -> Response:
    return json_response(error.status, odata_error_body(error.message))


def me(standin: Standin, request: Request) -> Action:
    def action(_division: int) -> Response:
        config = standin.config
        uri = f"{request.base_url}/api/v1/current/Me(guid'{config.user_id}')"
        user = {
            "__metadata": {"uri": uri, "type": ME_TYPE},
            "UserID": config.user_id,
            "UserName": "standin@example.com",
            "FullName": config.user_full_name,
            "Email": "standin@example.com",
            "CurrentDivision": config.division,
            "LanguageCode": "nl-NL",
        }
        return json_response(200, {"d": {"results": [user]}})

    return action


def list_accounts(standin: Standin, request: Request) -> Action:
    def action(division: int) -> Response:
        try:
            options = odata.parse_query_options(request.query, set(accounts.PROPERTIES), accounts.ENTITY_TYPE)
        except odata.QueryError as error:
            raise ApiError(400, str(error)) from error
        wanted = options.apply(standin.store.accounts(division))
        page = wanted[: standin.config.page_size]
        body = {"results": [_entity(request, a, options.select) for a in page]}
        if len(wanted) > len(page):
            body["__next"] = _next_page_url(request, options, len(page))
        return json_response(200, {"d": body})

    return action


# Exact's sync endpoints serve up to 1000 rows a call, in Timestamp order, and need a $select and a filter on
# Timestamp (the counter a client keeps to ask only for what changed since).
SYNC_PAGE_SIZE = 1000


def sync_accounts(standin: Standin, request: Request) -> Action:
    def action(division: int) -> Response:
        if not request.query.get("$select") or "Timestamp" not in request.query.get("$filter", ""):
            raise ApiError(400, "Sync endpoints need $select and a $filter on Timestamp (e.g. Timestamp gt 1).")
        properties = set(accounts.PROPERTIES) | {"Timestamp"}
        try:
            options = odata.parse_query_options(request.query, properties, accounts.SYNC_ENTITY_TYPE)
        except odata.QueryError as error:
            raise ApiError(400, str(error)) from error
        wanted = options.apply(standin.store.accounts_changed_since(division))
        page = wanted[:SYNC_PAGE_SIZE]
        body = {"results": [_entity(request, a, options.select) for a in page]}
        if len(wanted) > len(page):
            body["__next"] = _next_page_url(request, options, len(page))
        return json_response(200, {"d": body})

    return action


RECEIVABLE_TYPE = "Exact.Web.Api.Models.Financial.ReceivablesListItem"
RECEIVABLE_PROPERTIES = {
    "HID",
    "AccountId",
    "AccountCode",
    "AccountName",
    "Amount",
    "CurrencyCode",
    "Description",
    "DueDate",
    "InvoiceDate",
    "InvoiceNumber",
    "YourRef",
}


def receivables_list(standin: Standin, request: Request) -> Action:
    """read/financial/ReceivablesList: the open sales items (what debtors still owe), one row per invoice."""

    def action(division: int) -> Response:
        try:
            options = odata.parse_query_options(request.query, RECEIVABLE_PROPERTIES, RECEIVABLE_TYPE)
        except odata.QueryError as error:
            raise ApiError(400, str(error)) from error
        rows = [_receivable(number, item) for number, item in enumerate(standin.receivables, start=1)]
        wanted = options.apply(rows)
        page = wanted[: standin.config.page_size]
        body = {"results": [_plain(row, options.select) for row in page]}
        if len(wanted) > len(page):
            body["__next"] = _next_page_url(request, options, len(page))
        return json_response(200, {"d": body})

    return action


def _receivable(number: int, item: dict) -> dict:
    """A stored open item as Exact lists it: dates as /Date(epoch ms)/, the account id in lower case."""
    row = {name: item.get(name) for name in RECEIVABLE_PROPERTIES} | {"HID": number}
    row["AccountId"] = item["AccountId"].lower()
    for name in ("DueDate", "InvoiceDate"):
        if row[name]:
            row[name] = accounts.odata_datetime(datetime.fromisoformat(row[name]).replace(tzinfo=UTC).timestamp())
    return row


def _plain(row: dict, select: list[str]) -> dict:
    fields = {name: row[name] for name in select} if select else row
    return {"__metadata": {"type": RECEIVABLE_TYPE}} | fields


def get_account(standin: Standin, request: Request, account_id: str) -> Action:
    def action(division: int) -> Response:
        account = standin.store.account(division, account_id.lower())
        if account is None:
            raise ApiError(404, "Not found")
        select = _select(request)
        return json_response(200, {"d": _entity(request, account, select)})

    return action


def create_account(standin: Standin, request: Request) -> Action:
    def action(division: int) -> Response:
        payload = _json_payload(request)
        now = standin.clock.now()

        def build(existing: list[dict]) -> dict:
            return accounts.new_account(
                payload,
                division=division,
                user_id=standin.config.user_id,
                now=now,
                existing=existing,
            )

        try:
            account = standin.store.add_account(division, now, build)
        except AccountError as error:
            raise ApiError(400, str(error)) from error
        entity = _entity(request, account, [])
        location = {"Location": entity["__metadata"]["uri"]}
        return json_response(201, {"d": entity}, location)

    return action


def update_account(standin: Standin, request: Request, account_id: str) -> Action:
    def action(division: int) -> Response:
        payload = _json_payload(request)

        def change(account: dict, others: list[dict]) -> dict:
            return accounts.changed_account(
                account,
                payload,
                user_id=standin.config.user_id,
                now=standin.clock.now(),
                others=others,
            )

        try:
            updated = standin.store.change_account(division, account_id.lower(), change)
        except AccountError as error:
            raise ApiError(400, str(error)) from error
        if updated is None:
            raise ApiError(404, "Not found")
        return Response(204)

    return action


def _answer(own_division: int, request: Request, division: str | None, action: Action) -> Response:
    try:
        if "application/json" not in request.headers.get("accept", ""):
            # Exact answers Atom XML then; the stand-in refuses loudly instead,
            # so a client that forgets the header fails here, not in production.
            raise ApiError(406, "Send 'Accept: application/json'; Exact would answer Atom XML.")
        if division is None:
            return action(own_division)
        if not division.isdigit():
            raise ApiError(400, "Bad Request - Error in query syntax.")
        if int(division) != own_division:
            # The user has no access to other companies.
            raise ApiError(403, "Forbidden")
        return action(int(division))
    except ApiError as error:
        return error_response(error)


def _ban_message(banned_until: float) -> str:
    return f"Too many errors on this endpoint: access is blocked until {int(banned_until * 1000)} (epoch milliseconds)."


def _json_payload(request: Request) -> object:
    try:
        return request.json()
    except ValueError as error:
        raise ApiError(400, "Error processing request stream. JSON text specified is not valid.") from error


def _select(request: Request) -> list[str]:
    try:
        return odata.parse_select(
            request.query.get("$select", ""),
            set(accounts.PROPERTIES),
            accounts.ENTITY_TYPE,
        )
    except odata.QueryError as error:
        raise ApiError(400, str(error)) from error


def _entity(request: Request, account: dict, select: list[str]) -> dict:
    division, account_id = account["Division"], account["ID"]
    uri = f"{request.base_url}/api/v1/{division}/crm/Accounts(guid'{account_id}')"
    fields = {name: account[name] for name in select} if select else account
    return {"__metadata": {"uri": uri, "type": accounts.ENTITY_TYPE}} | fields


def _next_page_url(request: Request, options: odata.QueryOptions, served: int) -> str:
    # Exact pages with $skiptoken; an offset serves clients that follow __next
    # as an opaque link just the same.
    following = request.query | {"$skip": str(options.skip + served)}
    if options.top is not None:
        following["$top"] = str(options.top - served)
    return f"{request.base_url}{request.path}?{urlencode(following)}"
