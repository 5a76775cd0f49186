"""The SOQL subset a CRM client needs for lookups.

    SELECT Id, Name, Account.Name FROM Contact
    WHERE (Email = 'a@b.nl' OR Email LIKE '%@b.nl') AND AccountId != null AND LastName IN ('X', 'Y')
    ORDER BY LastName DESC NULLS LAST, Id LIMIT 10 OFFSET 5

plus `SELECT COUNT() FROM ...`. Keywords and field names are case-insensitive, text comparisons too,
as in Salesforce. Literals: 'strings' with backslash escapes, numbers, true/false, null, dates
(2024-05-01) and datetimes (2024-05-01T09:30:00Z).
"""

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from operator import ge, gt, le, lt

from . import ids
from .errors import ApiError, bad_request
from .records import record_url
from .schema import TEXT_TYPES, Field, SObjectType

TOKEN_PATTERN = re.compile(
    r"""
    \s*(?:
      (?P<string>'(?:\\.|[^'\\])*')
    | (?P<datetime>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2}))
    | (?P<date>\d{4}-\d{2}-\d{2})
    | (?P<number>-?\d+(?:\.\d+)?)
    | (?P<operator>!=|<>|<=|>=|=|<|>)
    | (?P<punctuation>[(),])
    | (?P<word>[A-Za-z_][A-Za-z0-9_.]*)
    )""",
    re.VERBOSE,
)
ESCAPES = {
    "n": "\n",
    "t": "\t",
    "r": "\r",
    "b": "\b",
    "f": "\f",
    '"': '"',
    "'": "'",
    "\\": "\\",
}
# In LIKE patterns \% and \_ stand for the literal characters, so they survive unescaping.
LIKE_ESCAPES = {"%": "\\%", "_": "\\_"}
ORDERINGS = {"<": lt, "<=": le, ">": gt, ">=": ge}
KEYWORDS = {
    "select",
    "from",
    "where",
    "and",
    "or",
    "not",
    "in",
    "like",
    "order",
    "by",
    "limit",
    "offset",
}


@dataclass(frozen=True)
class Token:
    kind: str
    text: str
    position: int

    def is_keyword(self, *words: str) -> bool:
        return self.kind == "word" and self.text.lower() in words


@dataclass(frozen=True)
class Literal:
    value: object
    kind: str  # string, number, boolean, null, date, datetime


@dataclass(frozen=True)
class Comparison:
    path: str
    operator: str  # = != < <= > >= like in notin
    operand: Literal | tuple[Literal, ...]


@dataclass(frozen=True)
class BooleanExpression:
    operator: str  # and, or, not
    operands: tuple


@dataclass(frozen=True)
class OrderItem:
    path: str
    descending: bool = False
    nulls_last: bool = False


@dataclass
class Query:
    sobject: str
    fields: list[str] = field(default_factory=list)
    count_only: bool = False
    where: object = None
    order_by: list[OrderItem] = field(default_factory=list)
    limit: int | None = None
    offset: int = 0


def malformed(message: str) -> ApiError:
    return bad_request("MALFORMED_QUERY", message)


def tokenize(soql: str) -> list[Token]:
    tokens, position = [], 0
    while position < len(soql):
        if not soql[position:].strip():
            break
        match = TOKEN_PATTERN.match(soql, position)
        if not match:
            snippet = soql[position:].strip()[:20]
            raise malformed(f"unexpected token: '{snippet}'")
        kind = match.lastgroup
        tokens.append(Token(kind, match.group(kind), match.start(kind)))
        position = match.end()
    return tokens


class Parser:
    def __init__(self, soql: str) -> None:
        self.tokens = tokenize(soql)
        self.index = 0

    def parse(self) -> Query:
        self.expect_keyword("select")
        query = Query(sobject="")
        if self.peek_keyword("count"):
            self.advance()
            self.expect_text("(")
            self.expect_text(")")
            query.count_only = True
        else:
            query.fields = self.field_list()
        self.expect_keyword("from")
        query.sobject = self.identifier()
        if self.accept_keyword("where"):
            query.where = self.disjunction()
        if self.accept_keyword("order"):
            self.expect_keyword("by")
            query.order_by = self.order_list()
        if self.accept_keyword("limit"):
            query.limit = self.integer()
        if self.accept_keyword("offset"):
            query.offset = self.integer()
        if self.current():
            raise malformed(f"unexpected token: '{self.current().text}'")
        return query

    # Token helpers

    def current(self) -> Token | None:
        return self.tokens[self.index] if self.index < len(self.tokens) else None

    def advance(self) -> Token:
        token = self.current()
        if token is None:
            raise malformed("unexpected token: '<EOF>'")
        self.index += 1
        return token

    def peek_keyword(self, *words: str) -> bool:
        token = self.current()
        return token is not None and token.is_keyword(*words)

    def accept_keyword(self, word: str) -> bool:
        if self.peek_keyword(word):
            self.index += 1
            return True
        return False

    def expect_keyword(self, word: str) -> None:
        token = self.advance()
        if not token.is_keyword(word):
            raise malformed(f"expecting '{word.upper()}', found '{token.text}'")

    def expect_text(self, text: str) -> None:
        token = self.advance()
        if token.text != text:
            raise malformed(f"expecting '{text}', found '{token.text}'")

    def identifier(self) -> str:
        token = self.advance()
        if token.kind != "word" or token.text.lower() in KEYWORDS:
            raise malformed(f"unexpected token: '{token.text}'")
        return token.text

    def integer(self) -> int:
        token = self.advance()
        if token.kind != "number" or not token.text.isdigit():
            raise malformed(f"expecting a non-negative integer, found '{token.text}'")
        return int(token.text)

    # Grammar

    def field_list(self) -> list[str]:
        fields = [self.identifier()]
        while self.current() and self.current().text == ",":
            self.advance()
            fields.append(self.identifier())
        return fields

    def order_list(self) -> list[OrderItem]:
        items = []
        while True:
            path = self.identifier()
            descending = self.accept_keyword("desc")
            if not descending:
                self.accept_keyword("asc")
            nulls_last = descending
            if self.accept_keyword("nulls"):
                nulls_last = self.advance().text.lower() == "last"
            items.append(OrderItem(path, descending, nulls_last))
            if not (self.current() and self.current().text == ","):
                return items
            self.advance()

    def disjunction(self) -> object:
        operands = [self.conjunction()]
        while self.accept_keyword("or"):
            operands.append(self.conjunction())
        return (
            operands[0]
            if len(operands) == 1
            else BooleanExpression("or", tuple(operands))
        )

    def conjunction(self) -> object:
        operands = [self.negation()]
        while self.accept_keyword("and"):
            operands.append(self.negation())
        return (
            operands[0]
            if len(operands) == 1
            else BooleanExpression("and", tuple(operands))
        )

    def negation(self) -> object:
        if self.accept_keyword("not"):
            return BooleanExpression("not", (self.negation(),))
        if self.current() and self.current().text == "(":
            self.advance()
            inner = self.disjunction()
            self.expect_text(")")
            return inner
        return self.comparison()

    def comparison(self) -> Comparison:
        path = self.identifier()
        token = self.advance()
        if token.kind == "operator":
            operator = "!=" if token.text == "<>" else token.text
            return Comparison(path, operator, self.literal())
        if token.is_keyword("like"):
            return Comparison(path, "like", self.literal(like=True))
        if token.is_keyword("not") and self.accept_keyword("in"):
            return Comparison(path, "notin", self.literal_list())
        if token.is_keyword("in"):
            return Comparison(path, "in", self.literal_list())
        raise malformed(f"unexpected token: '{token.text}'")

    def literal_list(self) -> tuple[Literal, ...]:
        self.expect_text("(")
        values = [self.literal()]
        while self.current() and self.current().text == ",":
            self.advance()
            values.append(self.literal())
        self.expect_text(")")
        return tuple(values)

    def literal(self, *, like: bool = False) -> Literal:
        token = self.advance()
        if token.kind == "string":
            return Literal(unescape(token.text[1:-1], like=like), "string")
        if token.kind == "number":
            return Literal(float(token.text), "number")
        if token.kind in ("date", "datetime"):
            return Literal(token.text, token.kind)
        if token.is_keyword("true", "false"):
            return Literal(token.text.lower() == "true", "boolean")
        if token.is_keyword("null"):
            return Literal(None, "null")
        raise malformed(f"unexpected token: '{token.text}'")


def unescape(body: str, *, like: bool = False) -> str:
    result, index = [], 0
    while index < len(body):
        char = body[index]
        if char != "\\":
            result.append(char)
            index += 1
            continue
        escaped = body[index + 1 : index + 2]
        if like and escaped in LIKE_ESCAPES:
            result.append(LIKE_ESCAPES[escaped])
        elif escaped in ESCAPES:
            result.append(ESCAPES[escaped])
        else:
            raise malformed(
                f"Invalid string literal '{body}'. Illegal character sequence '\\{escaped}'"
            )
        index += 2
    return "".join(result)


def parse(soql: str) -> Query:
    return Parser(soql).parse()


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
        matching = [
            data
            for data in self.load(root.name, include_deleted)
            if self._matches(root, data, query.where)
        ]
        for item in reversed(query.order_by):
            matching = self._sorted(root, matching, item)
        matching = matching[query.offset :]
        if query.limit is not None:
            matching = matching[: query.limit]
        if query.count_only:
            return len(matching), []
        return len(matching), [
            self._project(root, data, query.fields) for data in matching
        ]

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

    def resolve(
        self, sobject_type: SObjectType, path: str
    ) -> list[tuple[SObjectType, Field]]:
        """The chain of (sObject, field) a dotted path walks through, e.g. Account.Name from Contact."""
        *relationships, name = path.split(".")
        chain, current = [], sobject_type
        for relationship in relationships:
            reference = next(
                (
                    each
                    for each in current.fields
                    if each.relationship_name
                    and each.relationship_name.lower() == relationship.lower()
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
            self._parents[sobject] = {
                data["Id"]: data for data in self.load(sobject, False)
            }
        return self._parents[sobject].get(record_id) if record_id else None

    def value(
        self, root: SObjectType, data: dict | None, path: str
    ) -> tuple[Field, object]:
        chain = self.resolve(root, path)
        for _sobject_type, reference in chain[:-1]:
            data = (
                self._parent(reference.reference_to[0], data.get(reference.name))
                if data
                else None
            )
        last = chain[-1][1]
        return last, data.get(last.name) if data else None

    def _matches(self, root: SObjectType, data: dict, condition: object) -> bool:
        if condition is None:
            return True
        if isinstance(condition, BooleanExpression):
            results = (
                self._matches(root, data, operand) for operand in condition.operands
            )
            if condition.operator == "and":
                return all(results)
            if condition.operator == "or":
                return any(results)
            return not next(results)
        each, value = self.value(root, data, condition.path)
        return compare(each, value, condition.operator, condition.operand)

    def _sorted(
        self, root: SObjectType, records: list[dict], item: OrderItem
    ) -> list[dict]:
        present = [
            data for data in records if self.value(root, data, item.path)[1] is not None
        ]
        absent = [
            data for data in records if self.value(root, data, item.path)[1] is None
        ]
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

    def _project_path(
        self, record: dict, sobject_type: SObjectType, data: dict, chain: list
    ) -> None:
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
    return (
        value.lower() if isinstance(value, str) and each.type in TEXT_TYPES else value
    )


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
        return (
            isinstance(value, str)
            and like_pattern(expected).fullmatch(value) is not None
        )
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


def like_pattern(pattern: str) -> re.Pattern:
    parts = re.split(r"(\\%|\\_|%|_)", pattern)
    wildcards = {"%": ".*", "_": ".", "\\%": "%", "\\_": "_"}
    regex = "".join(wildcards.get(part, re.escape(part)) for part in parts)
    return re.compile(regex, re.IGNORECASE | re.DOTALL)
