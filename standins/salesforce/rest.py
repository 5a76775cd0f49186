"""The Salesforce REST resources under /services/data/vXX.X/, as handlers of Request objects.

Authentication, API-call counting and transport faults are the HTTP server's job; this module only
answers requests, so composite subrequests can reuse it without counting as calls of their own.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import unquote

from . import composite, sobject_collections, soql
from .context import WriteContext
from .errors import ApiError, api_error, bad_request, not_found
from .messages import Request, Response
from .query import Executor
from .schema import STANDARD_OBJECTS, SObjectType
from .state import QUERY_BATCH_SIZE, SandboxState
from .wire import record_url, with_attributes

VERSION_PATH = re.compile(r"^/services/data/v(?P<version>\d+\.\d+)(?P<rest>/.*)?$")
API_VERSIONS = [
    ("Summer '23", "58.0"),
    ("Winter '24", "59.0"),
    ("Spring '24", "60.0"),
    ("Summer '24", "61.0"),
    ("Winter '25", "62.0"),
    ("Spring '25", "63.0"),
    ("Summer '25", "64.0"),
]
MIN_QUERY_BATCH_SIZE = 200


def api_versions() -> list[dict]:
    return [
        {"label": label, "url": f"/services/data/v{version}", "version": version} for label, version in API_VERSIONS
    ]


@dataclass(frozen=True)
class Route:
    template: str  # how the endpoint is named in the sandbox's stats
    pattern: re.Pattern
    handlers: dict[str, str]  # HTTP method -> name of the RestApi method


def _route(template: str, **handlers: str) -> Route:
    regex = re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", template)
    return Route(template, re.compile(f"^{regex}/?$"), handlers)


ROUTES = [
    _route("", GET="resources"),
    _route("/limits", GET="limits"),
    _route("/sobjects", GET="describe_global"),
    _route("/sobjects/{sobject}/describe", GET="describe"),
    _route("/sobjects/{sobject}", GET="sobject_info", POST="create"),
    _route("/sobjects/{sobject}/{record_id}", GET="read", PATCH="update", DELETE="delete"),
    _route(
        "/sobjects/{sobject}/{field}/{value}",
        GET="read_by_external_id",
        PATCH="upsert",
        DELETE="delete_by_external_id",
    ),
    _route("/query", GET="query"),
    _route("/queryAll", GET="query_all"),
    _route("/query/{locator}", GET="query_more"),
    _route("/queryAll/{locator}", GET="query_more"),
    _route("/composite", POST="composite"),
    _route("/composite/graph", POST="composite_graph"),
    _route(
        "/composite/sobjects",
        POST="collection_create",
        PATCH="collection_update",
        DELETE="collection_delete",
    ),
    _route("/composite/sobjects/{sobject}/{field}", PATCH="collection_upsert"),
]


@dataclass(frozen=True)
class Match:
    version: str
    route: Route
    params: dict[str, str]

    @property
    def endpoint(self) -> str:
        """Route name for statistics, with the sObject filled in: 'POST /sobjects/Account'."""
        sobject = self.params.get("sobject")
        return self.route.template.replace("{sobject}", sobject) if sobject else self.route.template


def match(path: str) -> Match:
    found = VERSION_PATH.match(path)
    if not found:
        raise not_found()
    rest = found.group("rest") or ""
    for route in ROUTES:
        route_match = route.pattern.match(rest)
        if route_match:
            params = {name: unquote(value) for name, value in route_match.groupdict().items()}
            return Match(found.group("version"), route, params)
    raise not_found()


class RestApi:
    def __init__(self, state: SandboxState) -> None:
        self.state = state
        self.records = state.records

    def handle(self, request: Request) -> Response:
        """Answer one request; Salesforce errors become their JSON error responses."""
        try:
            return self._dispatch(request)
        except ApiError as error:
            return Response(error.status, error.errors)

    def _dispatch(self, request: Request) -> Response:
        found = match(request.path)
        handler_name = found.route.handlers.get(request.method)
        if handler_name is None:
            allowed = ",".join(found.route.handlers)
            message = f"HTTP Method '{request.method}' not allowed. Allowed are {allowed}"
            raise api_error(405, "METHOD_NOT_ALLOWED", message)
        handler: Callable[..., Response] = getattr(self, handler_name)
        return handler(request, found.version, **found.params)

    def _context(self, request: Request, version: str) -> WriteContext:
        options = _header_options(request.header("sforce-duplicate-rule-header"))
        return WriteContext(
            version=version,
            paths=(request.path, request.outer_path),
            allow_save=options.get("allowsave") == "true",
            include_record_details=options.get("includerecorddetails") == "true",
        )

    # Org information

    def resources(self, request: Request, version: str) -> Response:
        names = ["sobjects", "query", "queryAll", "composite", "limits"]
        return Response(200, {name: f"/services/data/v{version}/{name}" for name in names})

    def limits(self, request: Request, version: str) -> Response:
        limit = self.state.settings.api_limit
        remaining = max(limit - self.state.usage.used, 0)
        return Response(
            200,
            {
                "DailyApiRequests": {"Max": limit, "Remaining": remaining},
                "DataStorageMB": {"Max": 5, "Remaining": 5},
            },
        )

    def describe_global(self, request: Request, version: str) -> Response:
        sobjects = []
        for name in STANDARD_OBJECTS:
            description = self.state.settings.sobject_type(name).describe()
            description.pop("fields")
            sobjects.append(_with_version(description, version))
        return Response(200, {"encoding": "UTF-8", "maxBatchSize": 200, "sobjects": sobjects})

    def describe(self, request: Request, version: str, sobject: str) -> Response:
        description = self.state.settings.sobject_type(sobject).describe()
        return Response(200, _with_version(description, version))

    def sobject_info(self, request: Request, version: str, sobject: str) -> Response:
        description = self.state.settings.sobject_type(sobject).describe()
        description.pop("fields")
        return Response(
            200,
            {"objectDescribe": _with_version(description, version), "recentItems": []},
        )

    # Single records

    def create(self, request: Request, version: str, sobject: str) -> Response:
        record_id = self.records.create(sobject, _json_object(request), self._context(request, version))
        sobject_name = self.state.settings.sobject_type(sobject).name
        location = record_url(version, sobject_name, record_id)
        return Response(
            201,
            {"id": record_id, "success": True, "errors": []},
            {"Location": location},
        )

    def read(self, request: Request, version: str, sobject: str, record_id: str) -> Response:
        sobject_type, data = self.records.get(sobject, record_id)
        return Response(200, _selected(with_attributes(sobject_type, data, version), request))

    def update(self, request: Request, version: str, sobject: str, record_id: str) -> Response:
        context = self._context(request, version)
        self.records.update(sobject, record_id, _json_object(request), context)
        return Response(204)

    def delete(self, request: Request, version: str, sobject: str, record_id: str) -> Response:
        self.records.delete(sobject, record_id, self._context(request, version))
        return Response(204)

    def read_by_external_id(self, request: Request, version: str, sobject: str, field: str, value: str) -> Response:
        sobject_type = self.state.settings.sobject_type(sobject)
        data = self._one_by_external_id(sobject_type, field, value, version)
        return Response(200, _selected(with_attributes(sobject_type, data, version), request))

    def delete_by_external_id(self, request: Request, version: str, sobject: str, field: str, value: str) -> Response:
        sobject_type = self.state.settings.sobject_type(sobject)
        with self.state.store.atomic():
            data = self._one_by_external_id(sobject_type, field, value, version)
            self.records.delete(sobject, data["Id"], self._context(request, version))
        return Response(204)

    def _one_by_external_id(self, sobject_type: SObjectType, field: str, value: str, version: str) -> dict:
        """The record with this external id; 404 if none, 300 with their URLs if several."""
        each = self.records.external_id_field(sobject_type, field)
        matches = self.records.find_by_field(sobject_type, each, value)
        if not matches:
            raise not_found()
        if len(matches) > 1:
            urls = [record_url(version, sobject_type.name, data["Id"]) for data in matches]
            raise ApiError(300, urls)
        return matches[0]

    def upsert(self, request: Request, version: str, sobject: str, field: str, value: str) -> Response:
        context = self._context(request, version)
        body = _json_object(request)
        _refuse_identifiers_in_body(body, field)
        record_id, created = self.records.upsert(sobject, field, value, body, context)
        body = {"id": record_id, "success": True, "errors": [], "created": created}
        sobject_name = self.state.settings.sobject_type(sobject).name
        headers = {"Location": record_url(version, sobject_name, record_id)} if created else {}
        return Response(201 if created else 200, body, headers)

    # Queries

    def query(self, request: Request, version: str) -> Response:
        return self._run_query(request, version, include_deleted=False)

    def query_all(self, request: Request, version: str) -> Response:
        return self._run_query(request, version, include_deleted=True)

    def _run_query(self, request: Request, version: str, *, include_deleted: bool) -> Response:
        text = request.param("q")
        if not text:
            raise bad_request("MALFORMED_QUERY", "A query string has to be specified")
        parsed = soql.parse(text)
        executor = Executor(self.state.settings.sobject_type, self._load, version)
        with self.state.store.atomic():
            total, records = executor.run(parsed, include_deleted=include_deleted)
        if parsed.count_only:
            return Response(200, {"totalSize": total, "done": True, "records": []})
        return self._page(request, version, total, records, 0, include_deleted, locator=None)

    def _load(self, sobject: str, include_deleted: bool) -> list[dict]:
        return self.state.store.all(sobject, include_deleted=include_deleted)

    def query_more(self, request: Request, version: str, locator: str) -> Response:
        cursor_id, _, offset = locator.partition("-")
        cursor = self.state.cursors.get(cursor_id)
        if cursor is None or not offset.isdigit():
            raise bad_request("INVALID_QUERY_LOCATOR", "invalid query locator")
        total = len(cursor.records)
        return self._page(
            request,
            version,
            total,
            cursor.records,
            int(offset),
            cursor.include_deleted,
            cursor_id,
        )

    def _page(
        self,
        request: Request,
        version: str,
        total: int,
        records: list[dict],
        offset: int,
        include_deleted: bool,
        locator: str | None,
    ) -> Response:
        batch_size = _batch_size(request)
        end = offset + batch_size
        body = {
            "totalSize": total,
            "done": end >= total,
            "records": records[offset:end],
        }
        if end < total:
            locator = locator or self.state.cursors.open(records, include_deleted)
            resource = "queryAll" if include_deleted else "query"
            body["nextRecordsUrl"] = f"/services/data/v{version}/{resource}/{locator}-{end}"
        return Response(200, body)

    # Composite resources live in their own modules; bound here so routing stays in one table.

    def composite(self, request: Request, version: str) -> Response:
        return composite.run_composite(self.handle, self.state.store, request)

    def composite_graph(self, request: Request, version: str) -> Response:
        return composite.run_graphs(self.handle, self.state.store, request)

    def collection_create(self, request: Request, version: str) -> Response:
        return sobject_collections.create_records(self.state, request, self._context(request, version))

    def collection_update(self, request: Request, version: str) -> Response:
        return sobject_collections.update_records(self.state, request, self._context(request, version))

    def collection_delete(self, request: Request, version: str) -> Response:
        return sobject_collections.delete_records(self.state, request, self._context(request, version))

    def collection_upsert(self, request: Request, version: str, sobject: str, field: str) -> Response:
        context = self._context(request, version)
        return sobject_collections.upsert_records(self.state, request, context, sobject, field)


def _with_version(description: dict, version: str) -> dict:
    description["urls"] = {name: url.replace("{version}", version) for name, url in description["urls"].items()}
    return description


def _json_object(request: Request) -> dict:
    if not isinstance(request.body, dict):
        raise bad_request("JSON_PARSER_ERROR", "The request body must be a JSON object")
    return request.body


def _refuse_identifiers_in_body(body: dict, external_id_field: str) -> None:
    """The record is named by the URL: "Do not specify Id or an external ID field in the request body or an
    error is generated" (Upsert Records Using sObject Rows by External ID). A body carrying another value
    would otherwise silently lose that value."""
    named = [key for key in body if key.lower() in ("id", external_id_field.lower())]
    if named:
        raise bad_request(
            "INVALID_FIELD",
            f"{', '.join(named)} cannot be specified in the body of an upsert by {external_id_field}: "
            "the URL names the record",
            named,
        )


def _selected(record: dict, request: Request) -> dict:
    """Only the fields named in ?fields=, when given."""
    wanted = request.param("fields")
    if not wanted:
        return record
    names = {name.strip().lower() for name in wanted.split(",")}
    return {key: value for key, value in record.items() if key == "attributes" or key.lower() in names}


def _header_options(value: str) -> dict[str, str]:
    """'allowSave=true; includeRecordDetails=true' as lower-cased name -> value."""
    pairs = (part.partition("=") for part in re.split(r"[;,]", value))
    return {name.strip().lower(): option.strip().lower() for name, _, option in pairs}


def _batch_size(request: Request) -> int:
    """Sforce-Query-Options: batchSize=N, clamped to what Salesforce allows."""
    options = request.header("sforce-query-options")
    found = re.search(r"batchSize=(\d+)", options)
    if not found:
        return QUERY_BATCH_SIZE
    return min(max(int(found.group(1)), MIN_QUERY_BATCH_SIZE), QUERY_BATCH_SIZE)
