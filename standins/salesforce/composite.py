"""POST /composite and /composite/graph: subrequests in one call, later ones using earlier results.

`@{refAccount.id}` or `@{refQuery.records[0].Id}` in a subrequest's url or body is replaced by the
value at that path in the body of the earlier subrequest with that referenceId.
"""

import re
from collections.abc import Callable
from urllib.parse import urlsplit

from .errors import bad_request
from .messages import Request, Response
from .store import RecordStore

MAX_SUBREQUESTS = 25
MAX_GRAPH_NODES = 500
REFERENCE = re.compile(r"@\{(?P<reference_id>\w+)\.(?P<path>[^}]+)\}")
PATH_STEP = re.compile(r"\.?(?:(?P<key>\w+)|\[(?P<index>\d+)\])")
ROLLED_BACK = "The transaction was rolled back since another operation in the same transaction failed."

Handler = Callable[[Request], Response]


class UnresolvedReference(Exception):
    pass


def run_composite(handle: Handler, store: RecordStore, request: Request) -> Response:
    body = request.body if isinstance(request.body, dict) else {}
    subrequests = _subrequests(body.get("compositeRequest"), MAX_SUBREQUESTS)
    all_or_none = bool(body.get("allOrNone", False))
    # collateSubrequests only lets Salesforce group independent writes; results are the same
    # as running them in order, which is what happens here.
    with store.atomic() as transaction:
        results, failed = _execute(handle, request, subrequests, all_or_none=all_or_none)
        if failed and all_or_none:
            transaction.set_rollback()
    return Response(200, {"compositeResponse": results})


def run_graphs(handle: Handler, store: RecordStore, request: Request) -> Response:
    """Each graph is all-or-nothing on its own; one failing graph leaves the others committed."""
    graphs = request.body.get("graphs") if isinstance(request.body, dict) else None
    if not isinstance(graphs, list) or not graphs:
        raise bad_request("INVALID_INPUT", "The request must contain at least one graph")
    nodes = sum(len(graph.get("compositeRequest") or []) for graph in graphs)
    if nodes > MAX_GRAPH_NODES:
        raise bad_request(
            "LIMIT_EXCEEDED",
            f"A request can contain at most {MAX_GRAPH_NODES} graph nodes",
        )
    answers = []
    for graph in graphs:
        subrequests = _subrequests(graph.get("compositeRequest"), MAX_GRAPH_NODES)
        with store.atomic() as transaction:
            results, failed = _execute(handle, request, subrequests, all_or_none=True)
            if failed:
                transaction.set_rollback()
        answers.append(
            {
                "graphId": graph.get("graphId"),
                "graphResponse": {"compositeResponse": results},
                "isSuccessful": not failed,
            }
        )
    return Response(200, {"graphs": answers})


def _subrequests(subrequests: object, limit: int) -> list[dict]:
    if not isinstance(subrequests, list) or not subrequests:
        raise bad_request("JSON_PARSER_ERROR", "compositeRequest must be a non-empty array")
    if len(subrequests) > limit:
        raise bad_request(
            "LIMIT_EXCEEDED",
            f"A composite request can contain at most {limit} subrequests",
        )
    for subrequest in subrequests:
        if not isinstance(subrequest, dict) or not {
            "method",
            "url",
            "referenceId",
        } <= set(subrequest):
            raise bad_request("JSON_PARSER_ERROR", "Each subrequest needs method, url and referenceId")
    return subrequests


def _execute(handle: Handler, outer: Request, subrequests: list[dict], *, all_or_none: bool) -> tuple[list[dict], bool]:
    """Run subrequests in order: (results, whether one failed)."""
    results, bodies, failed_at = [], {}, None
    for position, subrequest in enumerate(subrequests):
        response = _run_one(handle, outer, subrequest, bodies)
        results.append(_result(subrequest["referenceId"], response))
        if response.ok:
            bodies[subrequest["referenceId"]] = response.body
        elif failed_at is None:
            failed_at = position
            if all_or_none:
                break
    if failed_at is None:
        return results, False
    if all_or_none:
        halted = Response(400, [{"errorCode": "PROCESSING_HALTED", "message": ROLLED_BACK}])
        results = [
            results[position] if position == failed_at else _result(subrequest["referenceId"], halted)
            for position, subrequest in enumerate(subrequests)
        ]
    return results, True


def _run_one(handle: Handler, outer: Request, subrequest: dict, bodies: dict) -> Response:
    try:
        url = _substitute_text(subrequest["url"], bodies)
        body = _substitute(subrequest.get("body"), bodies)
    except UnresolvedReference as problem:
        return Response(400, [{"errorCode": "PROCESSING_HALTED", "message": str(problem)}])
    parts = urlsplit(url)
    headers = dict(outer.headers)
    headers.update({name.lower(): value for name, value in (subrequest.get("httpHeaders") or {}).items()})
    return handle(
        Request(
            method=subrequest["method"].upper(),
            path=parts.path,
            query_string=parts.query,
            headers=headers,
            body=body,
            outer_path=outer.path,
        )
    )


def _result(reference_id: str, response: Response) -> dict:
    return {
        "body": response.body,
        "httpHeaders": response.headers,
        "httpStatusCode": response.status,
        "referenceId": reference_id,
    }


def _substitute(value: object, bodies: dict) -> object:
    if isinstance(value, dict):
        return {key: _substitute(item, bodies) for key, item in value.items()}
    if isinstance(value, list):
        return [_substitute(item, bodies) for item in value]
    if isinstance(value, str):
        whole = REFERENCE.fullmatch(value)
        # A value that is only a reference keeps the referenced value's JSON type.
        if whole:
            return _resolve(whole, bodies)
        return _substitute_text(value, bodies)
    return value


def _substitute_text(text: str, bodies: dict) -> str:
    return REFERENCE.sub(lambda found: str(_resolve(found, bodies)), text)


def _resolve(found: re.Match, bodies: dict) -> object:
    reference_id, path = found.group("reference_id"), found.group("path")
    missing = UnresolvedReference(
        f"Invalid reference specified. No value for {reference_id}.{path} found in {reference_id}"
    )
    if reference_id not in bodies:
        raise missing
    value = bodies[reference_id]
    for step in PATH_STEP.finditer(path):
        key, index = step.group("key"), step.group("index")
        try:
            value = value[key] if key is not None else value[int(index)]
        except (KeyError, IndexError, TypeError):
            raise missing from None
    return value
