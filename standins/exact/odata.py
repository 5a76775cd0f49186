"""The OData v2 query options Exact supports on list endpoints.

``$filter`` is parsed into a predicate over stored records. Supported: the
comparison operators eq ne gt ge lt le; and, or, not and parentheses; string
literals with '' as an escaped quote, guid'...', integers, true, false, null;
the functions trim, tolower, toupper, substringof, startswith, endswith.
String comparisons ignore case, as Exact's SQL Server collation does.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass

Record = dict
Expression = Callable[[Record], object]

SYNTAX_ERROR = "Bad Request - Error in query syntax."

TOKEN_PATTERN = re.compile(
    r"""
    (?P<space>\s+)
  | (?P<guid>guid'(?P<guid_value>[^']*)')
  | (?P<string>'(?P<string_value>(?:[^']|'')*)')
  | (?P<number>-?\d+(?:\.\d+)?)
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<punctuation>[(),])
    """,
    re.VERBOSE,
)
COMPARISONS = {"eq", "ne", "gt", "ge", "lt", "le"}
STRING_FUNCTIONS = {"trim": str.strip, "tolower": str.lower, "toupper": str.upper}
PREDICATES = {
    "substringof": lambda needle, haystack: needle in haystack,  # OData v2 order
    "startswith": str.startswith,
    "endswith": str.endswith,
}
FUNCTION_ARITY = dict.fromkeys(STRING_FUNCTIONS, 1) | dict.fromkeys(PREDICATES, 2)
KEYWORD_VALUES = {"true": True, "false": False, "null": None}


class QueryError(Exception):
    """A query Exact answers with 400."""


@dataclass
class Token:
    kind: str  # name, literal or punctuation
    value: object
    position: int


@dataclass
class QueryOptions:
    keep: Expression | None
    order: list[tuple[str, bool]]  # (property, descending), most significant first
    select: list[str]  # empty: every property
    skip: int
    top: int | None

    def apply(self, records: list[Record]) -> list[Record]:
        """The records the query asks for, in order, before paging."""
        if self.keep:
            records = [record for record in records if self.keep(record)]
        if self.order:
            records = _sorted(records, self.order)
        end = None if self.top is None else self.skip + self.top
        return records[self.skip : end]


def parse_query_options(query: dict[str, str], properties: set[str], entity_type: str) -> QueryOptions:
    """$filter, $orderby, $select, $skip and $top; QueryError when invalid."""
    filter_text, order_text = query.get("$filter"), query.get("$orderby")
    keep = compile_filter(filter_text, properties, entity_type) if filter_text else None
    order = _parse_orderby(order_text, properties, entity_type) if order_text else []
    return QueryOptions(
        keep=keep,
        order=order,
        select=parse_select(query.get("$select", ""), properties, entity_type),
        skip=_parse_count(query.get("$skip", "0"), "$skip"),
        top=_parse_count(query["$top"], "$top") if "$top" in query else None,
    )


def compile_filter(text: str, properties: set[str], entity_type: str) -> Expression:
    parser = _Parser(_tokenize(text), properties, entity_type)
    expression = parser.expression()
    parser.expect_end()
    return expression


def parse_select(text: str, properties: set[str], entity_type: str) -> list[str]:
    names = [name.strip() for name in text.split(",") if name.strip()]
    if "*" in names:
        return []
    for name in names:
        if name not in properties:
            raise QueryError(_no_property(name, entity_type, text.find(name)))
    return names


def _parse_orderby(text: str, properties: set[str], entity_type: str) -> list[tuple[str, bool]]:
    """[(property, descending)] in priority order."""
    order = []
    for clause in text.split(","):
        parts = clause.split()
        if not parts or len(parts) > 2 or parts[1:] not in ([], ["asc"], ["desc"]):
            raise QueryError(SYNTAX_ERROR)
        if parts[0] not in properties:
            raise QueryError(_no_property(parts[0], entity_type, text.find(parts[0])))
        order.append((parts[0], parts[1:] == ["desc"]))
    return order


def _parse_count(text: str, option: str) -> int:
    if not text.isdigit():
        raise QueryError(f"Invalid value for {option}: {text}")
    return int(text)


def _sorted(records: list[Record], order: list[tuple[str, bool]]) -> list[Record]:
    # Stable sorts applied from the least to the most significant key.
    for name, descending in reversed(order):
        records = sorted(records, key=lambda record: _sort_key(record.get(name)), reverse=descending)
    return records


def _sort_key(value: object) -> tuple:
    if value is None:
        return (0, "")
    if isinstance(value, str):
        return (1, value.lower())
    return (1, value)


def _no_property(name: str, entity_type: str, position: int) -> str:
    return f"No property '{name}' exists in type '{entity_type}' at position {position}."


def _tokenize(text: str) -> list[Token]:
    tokens = []
    position = 0
    while position < len(text):
        match = TOKEN_PATTERN.match(text, position)
        if match is None:
            raise QueryError(SYNTAX_ERROR)
        kind = match.lastgroup  # the outer group: guid, string, number, ...
        if kind == "guid":
            tokens.append(Token("literal", match["guid_value"].lower(), position))
        elif kind == "string":
            value = match["string_value"].replace("''", "'")
            tokens.append(Token("literal", value, position))
        elif kind == "number":
            number = float(match[0]) if "." in match[0] else int(match[0])
            tokens.append(Token("literal", number, position))
        elif kind == "name":
            tokens.append(Token("name", match[0], position))
        elif kind == "punctuation":
            tokens.append(Token("punctuation", match[0], position))
        position = match.end()
    return tokens


class _Parser:
    """Recursive descent: or binds loosest, then and, not, comparisons."""

    def __init__(self, tokens: list[Token], properties: set[str], entity_type: str):
        self.tokens = tokens
        self.index = 0
        self.properties = properties
        self.entity_type = entity_type

    def expression(self) -> Expression:
        left = self._conjunction()
        while self._accept_name("or"):
            left = _either(left, self._conjunction())
        return left

    def expect_end(self) -> None:
        if self.index != len(self.tokens):
            raise QueryError(SYNTAX_ERROR)

    def _conjunction(self) -> Expression:
        left = self._negation()
        while self._accept_name("and"):
            left = _both(left, self._negation())
        return left

    def _negation(self) -> Expression:
        if self._accept_name("not"):
            inner = self._negation()
            return lambda record: not inner(record)
        return self._comparison()

    def _comparison(self) -> Expression:
        left = self._operand()
        token = self._peek()
        if token and token.kind == "name" and token.value in COMPARISONS:
            self.index += 1
            return _compare(token.value, left, self._operand())
        return left

    def _operand(self) -> Expression:
        token = self._next()
        if token.kind == "literal":
            return lambda record, value=token.value: value
        if token.kind == "punctuation" and token.value == "(":
            inner = self.expression()
            self._expect(")")
            return inner
        if token.kind != "name":
            raise QueryError(SYNTAX_ERROR)
        if token.value in KEYWORD_VALUES:
            return lambda record, value=KEYWORD_VALUES[token.value]: value
        if token.value in FUNCTION_ARITY and self._peek_is("("):
            return self._function(token.value)
        if token.value not in self.properties:
            raise QueryError(_no_property(token.value, self.entity_type, token.position))
        return lambda record, name=token.value: record.get(name)

    def _function(self, name: str) -> Expression:
        self._expect("(")
        arguments = [self.expression()]
        while self._peek_is(","):
            self.index += 1
            arguments.append(self.expression())
        self._expect(")")
        if len(arguments) != FUNCTION_ARITY[name]:
            raise QueryError(SYNTAX_ERROR)
        return _call(name, arguments)

    def _peek(self) -> Token | None:
        return self.tokens[self.index] if self.index < len(self.tokens) else None

    def _peek_is(self, punctuation: str) -> bool:
        token = self._peek()
        return bool(token and token.kind == "punctuation" and token.value == punctuation)

    def _next(self) -> Token:
        token = self._peek()
        if token is None:
            raise QueryError(SYNTAX_ERROR)
        self.index += 1
        return token

    def _expect(self, punctuation: str) -> None:
        if not self._peek_is(punctuation):
            raise QueryError(SYNTAX_ERROR)
        self.index += 1

    def _accept_name(self, name: str) -> bool:
        token = self._peek()
        if token and token.kind == "name" and token.value == name:
            self.index += 1
            return True
        return False


def _either(left: Expression, right: Expression) -> Expression:
    return lambda record: bool(left(record)) or bool(right(record))


def _both(left: Expression, right: Expression) -> Expression:
    return lambda record: bool(left(record)) and bool(right(record))


def _folded(value: object) -> object:
    return value.lower() if isinstance(value, str) else value


def _compare(operator: str, left: Expression, right: Expression) -> Expression:
    def compare(record: Record) -> bool:
        a, b = _folded(left(record)), _folded(right(record))
        if operator == "eq":
            return a == b
        if operator == "ne":
            return a != b
        if a is None or b is None or type(a) is not type(b):
            return False
        return {
            "gt": a > b,
            "ge": a >= b,
            "lt": a < b,
            "le": a <= b,
        }[operator]

    return compare


def _call(name: str, arguments: list[Expression]) -> Expression:
    def texts(record: Record) -> list[str | None]:
        values = [argument(record) for argument in arguments]
        return [value if isinstance(value, str) else None for value in values]

    def call(record: Record) -> object:
        values = texts(record)
        if None in values:
            return None if name in STRING_FUNCTIONS else False
        if name in STRING_FUNCTIONS:
            return STRING_FUNCTIONS[name](values[0])
        # Case-insensitive, like every string comparison here.
        return PREDICATES[name](*(value.lower() for value in values))

    return call
