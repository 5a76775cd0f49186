"""POST /composite and /composite/graph: subrequests in one call, later ones using earlier results.

`@{refAccount.id}` or `@{refQuery.records[0].Id}` in a subrequest's url or body is replaced by the
value at that path in the body of the earlier subrequest with that referenceId.
"""

import re
from collections.abc import Callable
from urllib.parse import urlsplit

from .errors import ApiError, bad_request
from .messages import Request, Response
from .store import RecordStore

MAX_SUBREQUESTS = 25
# Composite Graph Limits (REST API Developer Guide): per payload.
MAX_GRAPHS = 75
MAX_GRAPH_NODES = 500
MAX_GRAPH_DEPTH = 15
MAX_NODE_KINDS = 15
MAX_FAILED_GRAPHS = 14
REFERENCE = re.compile(r"@\{(?P<reference_id>\w+)\.(?P<path>[^}]+)\}")
PATH_STEP = re.compile(r"\.?(?:(?P<key>\w+)|\[(?P<index>\d+)\])")
ROLLED_BACK = "The transaction was rolled back since another operation in the same transaction failed."
HALTED = (
    f"Processing halted: more than {MAX_FAILED_GRAPHS} graphs of this request failed, so this graph was not processed."
)
SOBJECT_IN_URL = re.compile(r"^/services/data/v(?P<version>[^/]+)/sobjects/(?P<sobject>[^/]+)")

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
    """Each graph is all-or-nothing on its own; one failing graph leaves the others committed.

    After MAX_FAILED_GRAPHS failures the remaining graphs are not processed: they answer PROCESSING_HALTED.
    """
    graphs = request.body.get("graphs") if isinstance(request.body, dict) else None
    if not isinstance(graphs, list) or not graphs:
        raise bad_request("INVALID_INPUT", "The request must contain at least one graph")
    _check_graph_limits(graphs)
    answers, failures = [], 0
    for graph in graphs:
        subrequests = graph["compositeRequest"]
        if failures > MAX_FAILED_GRAPHS:
            answers.append(_graph_answer(graph, [_result(s["referenceId"], _halted()) for s in subrequests], False))
            continue
        with store.atomic() as transaction:
            results, failed = _execute(handle, request, subrequests, all_or_none=True)
            if failed:
                transaction.set_rollback()
                failures += 1
        answers.append(_graph_answer(graph, results, not failed))
    return Response(200, {"graphs": answers})


def _graph_answer(graph: dict, results: list[dict], successful: bool) -> dict:
    return {
        "graphId": graph.get("graphId"),
        "graphResponse": {"compositeResponse": results},
        "isSuccessful": successful,
    }


def _halted() -> Response:
    return Response(400, [{"errorCode": "PROCESSING_HALTED", "message": HALTED}])


def _check_graph_limits(graphs: list) -> None:
    """Refuse the whole payload, as Salesforce does, when it breaks a Composite Graph limit."""
    if len(graphs) > MAX_GRAPHS:
        raise limit_exceeded(f"A composite graph request can contain at most {MAX_GRAPHS} graphs; it has {len(graphs)}")
    graph_ids = [graph.get("graphId") if isinstance(graph, dict) else None for graph in graphs]
    if any(not isinstance(graph_id, str) or not graph_id for graph_id in graph_ids):
        raise bad_request("INVALID_INPUT", "Each graph needs a graphId")
    if len(set(graph_ids)) != len(graph_ids):
        raise bad_request("INVALID_INPUT", "graphId values must be unique within the request")
    nodes = [_subrequests(graph.get("compositeRequest"), MAX_GRAPH_NODES) for graph in graphs]
    total = sum(len(each) for each in nodes)
    if total > MAX_GRAPH_NODES:
        raise limit_exceeded(f"A composite graph request can contain at most {MAX_GRAPH_NODES} nodes; it has {total}")
    kinds = {_node_kind(node) for each in nodes for node in each}
    if len(kinds) > MAX_NODE_KINDS:
        raise limit_exceeded(
            f"A composite graph request can use at most {MAX_NODE_KINDS} different nodes "
            f"(API version, HTTP method and object); it uses {len(kinds)}"
        )
    for graph, each in zip(graphs, nodes, strict=True):
        depth = _depth(each)
        if depth > MAX_GRAPH_DEPTH:
            raise limit_exceeded(f"Graph {graph['graphId']} is {depth} nodes deep; the limit is {MAX_GRAPH_DEPTH}")


def limit_exceeded(message: str) -> ApiError:
    return bad_request("LIMIT_EXCEEDED", message)


def _node_kind(node: dict) -> tuple[str, str, str]:
    """Nodes differ when they use another API version, HTTP method or object type."""
    found = SOBJECT_IN_URL.match(urlsplit(str(node["url"])).path)
    version, sobject = (found["version"], found["sobject"].lower()) if found else ("", str(node["url"]))
    return version, str(node["method"]).upper(), sobject


def _depth(nodes: list[dict]) -> int:
    """The longest chain of nodes referring to earlier nodes (a node alone is depth 1)."""
    depths: dict[str, int] = {}
    for node in nodes:
        text = f"{node['url']} {node.get('body')}"
        parents = [depths.get(found.group("reference_id"), 0) for found in REFERENCE.finditer(text)]
        depths[node["referenceId"]] = 1 + max(parents, default=0)
    return max(depths.values(), default=0)


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
