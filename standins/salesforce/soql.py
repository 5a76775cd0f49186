"""The SOQL subset a CRM client needs for lookups.

    SELECT Id, Name, Account.Name FROM Contact
    WHERE (Email = 'a@b.nl' OR Email LIKE '%@b.nl') AND AccountId != null AND LastName IN ('X', 'Y')
    ORDER BY LastName DESC NULLS LAST, Id LIMIT 10 OFFSET 5

plus `SELECT COUNT() FROM ...`. Keywords and field names are case-insensitive, text comparisons too,
as in Salesforce. Literals: 'strings' with backslash escapes, numbers, true/false, null, dates
(2024-05-01) and datetimes (2024-05-01T09:30:00Z).
"""

import re
from dataclasses import dataclass, field

from .errors import ApiError, bad_request

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
        if len(operands) == 1:
            return operands[0][0]
        # "Parentheses are required whenever you mix the operators" (SOQL, Logical Operators):
        # `a AND b OR c` is refused rather than given a precedence.
        if any(bare_and for _expression, bare_and in operands):
            raise malformed("unexpected token: 'OR'; parentheses are required when mixing AND and OR")
        return BooleanExpression("or", tuple(expression for expression, _bare_and in operands))

    def conjunction(self) -> tuple[object, bool]:
        """The expression, and whether it joins operands with AND outside parentheses."""
        operands = [self.negation()]
        while self.accept_keyword("and"):
            operands.append(self.negation())
        if len(operands) == 1:
            return operands[0], False
        return BooleanExpression("and", tuple(operands)), True

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
            raise malformed(f"Invalid string literal '{body}'. Illegal character sequence '\\{escaped}'")
        index += 2
    return "".join(result)


# SOQL and SOSL Limits: "By default, SOQL statements can't exceed 100,000 characters."
MAX_STATEMENT_LENGTH = 100_000


def parse(soql: str) -> Query:
    if len(soql) > MAX_STATEMENT_LENGTH:
        raise malformed(f"The SOQL statement is {len(soql)} characters long; the limit is {MAX_STATEMENT_LENGTH}")
    return Parser(soql).parse()
