"""Running a parsed SOQL query against stored records, shaping rows as the REST API does."""

import functools
import re
from collections.abc import Callable
from operator import ge, gt, le, lt

from . import ids
from .errors import ApiError, bad_request
from .schema import TEXT_TYPES, Field, SObjectType
from .soql import BooleanExpression, Literal, OrderItem, Query
from .wire import record_url

ORDERINGS = {"<": lt, "<=": le, ">": gt, ">=": ge}


class Executor:
    """Runs a parsed query against records loaded through `load(sobject, include_deleted)`."""

    def __init__(
        self,
        sobject_type: Callable[[str], SObjectType],
        load: Callable[[str, bool], list[dict]],
        version: str,
    ) -> None:
        self.sobject_type = sobject_type
        self.load = load
        self.version = version
        self._parents: dict[str, dict[str, dict]] = {}

    def run(self, query: Query, *, include_deleted: bool) -> tuple[int, list[dict]]:
        """(totalSize, records) of a query, the records shaped as the REST API returns them."""
        root = self._root_type(query.sobject)
        for path in query.fields + [item.path for item in query.order_by]:
            self.resolve(root, path)
        matching = [data for data in self.load(root.name, include_deleted) if self._matches(root, data, query.where)]
        for item in reversed(query.order_by):
            matching = self._sorted(root, matching, item)
        matching = matching[query.offset :]
        if query.limit is not None:
            matching = matching[: query.limit]
        if query.count_only:
            return len(matching), []
        return len(matching), [self._project(root, data, query.fields) for data in matching]

    def _root_type(self, name: str) -> SObjectType:
        try:
            return self.sobject_type(name)
        except ApiError:
            raise bad_request(
                "INVALID_TYPE",
                f"sObject type '{name}' is not supported. If you are attempting to use a custom object, be sure "
                "to append the '__c' after the entity name. Please reference your WSDL or the describe call for "
                "the appropriate names.",
            ) from None

    def resolve(self, sobject_type: SObjectType, path: str) -> list[tuple[SObjectType, Field]]:
        """The chain of (sObject, field) a dotted path walks through, e.g. Account.Name from Contact."""
        *relationships, name = path.split(".")
        chain, current = [], sobject_type
        for relationship in relationships:
            reference = next(
                (
                    each
                    for each in current.fields
                    if each.relationship_name and each.relationship_name.lower() == relationship.lower()
                ),
                None,
            )
            if reference is None:
                raise self._no_such_column(current, relationship)
            chain.append((current, reference))
            current = self.sobject_type(reference.reference_to[0])
        each = current.field(name)
        if each is None:
            raise self._no_such_column(current, name)
        chain.append((current, each))
        return chain

    @staticmethod
    def _no_such_column(sobject_type: SObjectType, name: str) -> ApiError:
        return bad_request(
            "INVALID_FIELD",
            f"No such column '{name}' on entity '{sobject_type.name}'. If you are attempting to use a custom "
            "field, be sure to append the '__c' after the custom field name. Please reference your WSDL or the "
            "describe call for the appropriate names.",
        )

    def _parent(self, sobject: str, record_id: str | None) -> dict | None:
        if sobject not in self._parents:
            self._parents[sobject] = {data["Id"]: data for data in self.load(sobject, False)}
        return self._parents[sobject].get(record_id) if record_id else None

    def value(self, root: SObjectType, data: dict | None, path: str) -> tuple[Field, object]:
        chain = self.resolve(root, path)
        for _sobject_type, reference in chain[:-1]:
            data = self._parent(reference.reference_to[0], data.get(reference.name)) if data else None
        last = chain[-1][1]
        return last, data.get(last.name) if data else None

    def _matches(self, root: SObjectType, data: dict, condition: object) -> bool:
        if condition is None:
            return True
        if isinstance(condition, BooleanExpression):
            results = (self._matches(root, data, operand) for operand in condition.operands)
            if condition.operator == "and":
                return all(results)
            if condition.operator == "or":
                return any(results)
            return not next(results)
        each, value = self.value(root, data, condition.path)
        return compare(each, value, condition.operator, condition.operand)

    def _sorted(self, root: SObjectType, records: list[dict], item: OrderItem) -> list[dict]:
        present = [data for data in records if self.value(root, data, item.path)[1] is not None]
        absent = [data for data in records if self.value(root, data, item.path)[1] is None]
        present.sort(
            key=lambda data: sort_key(*self.value(root, data, item.path)),
            reverse=item.descending,
        )
        return present + absent if item.nulls_last else absent + present

    def _project(self, root: SObjectType, data: dict, paths: list[str]) -> dict:
        record = {
            "attributes": {
                "type": root.name,
                "url": record_url(self.version, root.name, data["Id"]),
            }
        }
        for path in paths:
            self._project_path(record, root, data, self.resolve(root, path))
        return record

    def _project_path(self, record: dict, sobject_type: SObjectType, data: dict, chain: list) -> None:
        _owner, each = chain[0]
        if len(chain) == 1:
            record[each.name] = data.get(each.name)
            return
        target = self.sobject_type(each.reference_to[0])
        parent = self._parent(target.name, data.get(each.name))
        relationship = each.relationship_name
        if parent is None:
            record[relationship] = None
            return
        nested = record.get(relationship) or {
            "attributes": {
                "type": target.name,
                "url": record_url(self.version, target.name, parent["Id"]),
            }
        }
        record[relationship] = nested
        self._project_path(nested, target, parent, chain[1:])


def sort_key(each: Field, value: object) -> object:
    return value.lower() if isinstance(value, str) and each.type in TEXT_TYPES else value


def _comparable(each: Field, literal: Literal) -> object:
    """The literal in the form values of this field are stored in."""
    if literal.value is None:
        return None
    if each.type in ("id", "reference") and isinstance(literal.value, str):
        return ids.canonical_id(literal.value) or literal.value
    if each.type == "datetime" and literal.kind == "datetime":
        return literal.value.replace("Z", "+0000")[:19]
    return literal.value


def compare(each: Field, value: object, operator: str, operand: object) -> bool:
    if operator in ("in", "notin"):
        found = any(compare(each, value, "=", item) for item in operand)
        return found if operator == "in" else not found
    expected = _comparable(each, operand)
    if operator == "like":
        return isinstance(value, str) and like_matches(expected, value)
    if each.type == "datetime" and isinstance(value, str):
        value = value[:19]
    if isinstance(value, str) and isinstance(expected, str):
        value, expected = value.lower(), expected.lower()
    if operator == "=":
        return value == expected
    if operator == "!=":
        return value != expected
    if value is None or expected is None:
        return False
    try:
        return ORDERINGS[operator](value, expected)
    except TypeError:
        return False


def like_matches(pattern: str, value: str) -> bool:
    """LIKE without a regex when the pattern has only % wildcards: each literal piece is looked for after the
    previous one, in linear time (a regex of many `.*` backtracks badly on values that do not match)."""
    pieces = _like_pieces(pattern)
    if pieces is None:
        return like_pattern(pattern).fullmatch(value) is not None
    text = value.casefold()
    if len(pieces) == 1:
        return text == pieces[0]
    start, end = len(pieces[0]), len(text) - len(pieces[-1])
    if end < start or not text.startswith(pieces[0]) or not text.endswith(pieces[-1]):
        return False
    for piece in pieces[1:-1]:
        found = text.find(piece, start, end)
        if found < 0:
            return False
        start = found + len(piece)
    return True


@functools.lru_cache(maxsize=4096)
def _like_pieces(pattern: str) -> tuple[str, ...] | None:
    """The literal pieces between % wildcards, case-folded; None when the pattern uses _ too."""
    parts = re.split(r"(\\%|\\_|%|_)", pattern)
    if "_" in parts:
        return None
    pieces, current = [], []
    for part in parts:
        if part == "%":
            pieces.append("".join(current))
            current = []
        else:
            current.append({"\\%": "%", "\\_": "_"}.get(part, part))
    pieces.append("".join(current))
    return tuple(piece.casefold() for piece in pieces)


@functools.lru_cache(maxsize=4096)
def like_pattern(pattern: str) -> re.Pattern:
    parts = re.split(r"(\\%|\\_|%|_)", pattern)
    wildcards = {"%": ".*", "_": ".", "\\%": "%", "\\_": "_"}
    regex = "".join(wildcards.get(part, re.escape(part)) for part in parts)
    return re.compile(regex, re.IGNORECASE | re.DOTALL)
