"""JSON values turned into stored field values, with the errors Salesforce gives for bad ones."""

import datetime as dt
import re

from .errors import ApiError, bad_request
from .schema import TEXT_TYPES, Field

EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def label(each: Field) -> str:
    if each.label:
        return each.label
    spaced = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", each.name)
    return spaced[:-3] + " ID" if each.type == "reference" and spaced.endswith(" Id") else spaced


def _parser_error(type_name: str, value: object) -> ApiError:
    return bad_request(
        "JSON_PARSER_ERROR",
        f"Cannot deserialize instance of {type_name} from VALUE_STRING value {value} "
        "or request may be missing a required field at [line:1, column:1]",
    )


def _coerce_number(each: Field, value: object) -> int | float:
    json_type = "int" if each.type == "int" else "double"
    if isinstance(value, bool):
        raise _parser_error(json_type, value)
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise _parser_error(json_type, value) from None
    if each.type != "int":
        return number
    if not number.is_integer():
        raise _parser_error(json_type, value)
    return int(number)


def _coerce_text(each: Field, value: object) -> str:
    if isinstance(value, (dict, list)):
        raise _parser_error("string", value)
    text = str(value).lower() if isinstance(value, bool) else str(value)
    if each.length and len(text) > each.length:
        raise bad_request(
            "STRING_TOO_LONG",
            f"{label(each)}: data value too large: {text} (max length={each.length})",
            [each.name],
        )
    if each.type == "email" and text and not EMAIL_PATTERN.match(text):
        raise bad_request(
            "INVALID_EMAIL_ADDRESS",
            f"{label(each)}: invalid email address: {text}",
            [each.name],
        )
    return text


def _coerce_date(value: object) -> str:
    if isinstance(value, str) and len(value) == 10:
        try:
            return dt.date.fromisoformat(value).isoformat()
        except ValueError:
            pass
    raise _parser_error("date", value)


def _coerce_boolean(value: object) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise _parser_error("boolean", value)


def coerce(each: Field, value: object) -> object:
    """The stored form of a JSON value for a field, or the error Salesforce gives for it."""
    # Salesforce stores no empty strings: "" clears a field just like null.
    if value is None or value == "":
        return None
    if each.type in TEXT_TYPES:
        return _coerce_text(each, value)
    if each.type in ("int", "double", "currency", "percent"):
        return _coerce_number(each, value)
    if each.type == "date":
        return _coerce_date(value)
    if each.type == "boolean":
        return _coerce_boolean(value)
    return value


def check_restricted_picklist(each: Field, value: object) -> None:
    """A restricted picklist takes only its own values; checked once the whole body has been read."""
    if each.restricted and value is not None and value not in each.picklist_values:
        raise bad_request(
            "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
            f"{label(each)}: bad value for restricted picklist field: {value}",
            [each.name],
        )


def is_blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def normalized(value: object) -> object:
    return value.strip().lower() if isinstance(value, str) else value
