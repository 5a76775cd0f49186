"""sObject create, read, update, upsert and delete with the validation a real org applies."""

import datetime as dt
import re
from dataclasses import dataclass

from . import faults, ids
from .errors import ApiError, api_error, bad_request, not_found
from .org import DuplicateRule, OrgSettings
from .schema import TEXT_TYPES, Field, SObjectType
from .store import RecordStore

EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
IGNORED_BODY_KEYS = {"attributes"}


@dataclass(frozen=True)
class WriteContext:
    """Where a write comes from: its API version, request paths (for faults) and duplicate-rule header."""

    version: str = "61.0"
    paths: tuple[str, ...] = ()
    allow_save: bool = False


def salesforce_datetime(moment: dt.datetime) -> str:
    """Salesforce's dateTime format: 2024-05-01T09:30:00.000+0000."""
    return (
        moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}+0000"
    )


def now() -> str:
    return salesforce_datetime(dt.datetime.now(dt.UTC))


def record_url(version: str, sobject: str, record_id: str) -> str:
    return f"/services/data/v{version}/sobjects/{sobject}/{record_id}"


def with_attributes(sobject_type: SObjectType, data: dict, version: str) -> dict:
    """A stored record as the REST API returns it: attributes first, then every field."""
    record = {
        "attributes": {
            "type": sobject_type.name,
            "url": record_url(version, sobject_type.name, data["Id"]),
        }
    }
    for each in sobject_type.fields:
        record[each.name] = data.get(each.name)
    return record


def _label(each: Field) -> str:
    if each.label:
        return each.label
    spaced = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", each.name)
    return (
        spaced[:-3] + " ID"
        if each.type == "reference" and spaced.endswith(" Id")
        else spaced
    )


def _parser_error(type_name: str, value: object) -> ApiError:
    return bad_request(
        "JSON_PARSER_ERROR",
        f"Cannot deserialize instance of {type_name} from VALUE_STRING value {value} "
        "or request may be missing a required field at [line:1, column:1]",
    )


def _coerce_number(each: Field, value: object) -> int | float:
    if isinstance(value, bool):
        raise _parser_error(each.type, value)
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise _parser_error(each.type, value) from None
    if each.type == "int":
        if not number.is_integer():
            raise _parser_error(each.type, value)
        return int(number)
    return number


def _coerce_text(each: Field, value: object) -> str:
    if isinstance(value, (dict, list)):
        raise _parser_error("string", value)
    text = str(value).lower() if isinstance(value, bool) else str(value)
    if each.length and len(text) > each.length:
        raise bad_request(
            "STRING_TOO_LONG",
            f"{_label(each)}: data value too large: {text} (max length={each.length})",
            [each.name],
        )
    if each.type == "email" and text and not EMAIL_PATTERN.match(text):
        raise bad_request(
            "INVALID_EMAIL_ADDRESS",
            f"{_label(each)}: invalid email address: {text}",
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
    if value is None:
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


def _is_blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _normalized(value: object) -> object:
    return value.strip().lower() if isinstance(value, str) else value


class RecordService:
    def __init__(
        self, store: RecordStore, settings: OrgSettings, fault_board: faults.FaultBoard
    ) -> None:
        self.store = store
        self.settings = settings
        self.faults = fault_board

    # Reads

    def get(self, sobject: str, record_id: str) -> tuple[SObjectType, dict]:
        sobject_type = self.settings.sobject_type(sobject)
        canonical = ids.canonical_id(record_id)
        found = self.store.get(canonical) if canonical else None
        if found is None or found[0] != sobject_type.name or found[2]:
            raise not_found(
                f"Provided external ID field does not exist or is not accessible: {record_id}"
            )
        return sobject_type, found[1]

    def find_by_field(
        self, sobject_type: SObjectType, each: Field, value: object
    ) -> list[dict]:
        wanted = _normalized(coerce(each, value))
        return [
            data
            for data in self.store.all(sobject_type.name)
            if _normalized(data.get(each.name)) == wanted
        ]

    def external_id_field(self, sobject_type: SObjectType, name: str) -> Field:
        each = sobject_type.field(name)
        if each is None or not (each.external_id or each.name == "Id"):
            raise not_found(
                f"Provided external ID field does not exist or is not accessible: {name}"
            )
        return each

    # Writes

    def create(self, sobject: str, body: dict, context: WriteContext) -> str:
        sobject_type = self.settings.sobject_type(sobject)
        values = self._validated_values(sobject_type, body, creating=True)
        data = {
            each.name: each.default_value
            for each in sobject_type.fields
            if each.default_value is not None
        }
        data.update(values)
        with self.store.atomic():
            self._check_record_rules(sobject_type, data, None, context)
            self._take_write_faults("POST", context, sobject_type, creating=True)
            stamp = now()
            system = {
                "IsDeleted": False,
                "CreatedDate": stamp,
                "LastModifiedDate": stamp,
                "SystemModstamp": stamp,
            }
            return self.store.insert(
                sobject_type.name, sobject_type.key_prefix, {**data, **system}
            )

    def update(
        self, sobject: str, record_id: str, body: dict, context: WriteContext
    ) -> None:
        with self.store.atomic():
            sobject_type, current = self._writable(sobject, record_id)
            body = {
                key: value
                for key, value in body.items()
                if not (key == "Id" and value == record_id)
            }
            values = self._validated_values(sobject_type, body, creating=False)
            data = {**current, **values}
            self._check_record_rules(sobject_type, data, current["Id"], context)
            self._take_write_faults("PATCH", context, sobject_type, creating=False)
            stamp = now()
            self.store.replace(
                current["Id"],
                {**data, "LastModifiedDate": stamp, "SystemModstamp": stamp},
            )

    def upsert(
        self,
        sobject: str,
        field_name: str,
        value: str,
        body: dict,
        context: WriteContext,
    ) -> tuple[str, bool]:
        """(id, created); when several records match, Salesforce answers 300 with their URLs."""
        sobject_type = self.settings.sobject_type(sobject)
        each = self.external_id_field(sobject_type, field_name)
        if each.name == "Id":
            self.update(sobject, value, body, context)
            return ids.canonical_id(value), False
        body = {
            key: item for key, item in body.items() if key.lower() != each.name.lower()
        }
        with self.store.atomic():
            matches = self.find_by_field(sobject_type, each, value)
            if len(matches) > 1:
                raise ApiError(
                    300,
                    [
                        record_url(context.version, sobject_type.name, match["Id"])
                        for match in matches
                    ],
                )
            if matches:
                self.update(sobject, matches[0]["Id"], body, context)
                return matches[0]["Id"], False
            return self.create(sobject, {**body, each.name: value}, context), True

    def delete(self, sobject: str, record_id: str, context: WriteContext) -> None:
        with self.store.atomic():
            sobject_type, current = self._writable(sobject, record_id)
            self._take_write_faults("DELETE", context, sobject_type, creating=False)
            self.store.replace(
                current["Id"],
                {**current, "IsDeleted": True, "SystemModstamp": now()},
                is_deleted=True,
            )

    def _writable(self, sobject: str, record_id: str) -> tuple[SObjectType, dict]:
        sobject_type = self.settings.sobject_type(sobject)
        canonical = ids.canonical_id(record_id)
        found = self.store.get(canonical) if canonical else None
        if found is None or found[0] != sobject_type.name:
            raise not_found(
                f"Provided external ID field does not exist or is not accessible: {record_id}"
            )
        if found[2]:
            raise api_error(404, "ENTITY_IS_DELETED", "entity is deleted", [])
        return sobject_type, found[1]

    # Validation, in the order a real org reports problems

    def _validated_values(
        self, sobject_type: SObjectType, body: dict, *, creating: bool
    ) -> dict:
        if not isinstance(body, dict):
            raise bad_request(
                "JSON_PARSER_ERROR", "Expected a JSON object as the request body"
            )
        values = {}
        for key, value in body.items():
            if key in IGNORED_BODY_KEYS:
                continue
            each = sobject_type.field(key)
            if each is None:
                raise bad_request(
                    "INVALID_FIELD",
                    f"No such column '{key}' on sobject of type {sobject_type.name}",
                )
            if not (each.createable if creating else each.updateable):
                raise bad_request(
                    "INVALID_FIELD_FOR_INSERT_UPDATE",
                    f"Unable to create/update fields: {each.name}. Please check the security settings of this "
                    "field and verify that it is read/write for your profile or permission set.",
                    [each.name],
                )
            values[each.name] = coerce(each, value)
        self._check_required(sobject_type, values, creating=creating)
        self._check_references(sobject_type, values)
        return values

    def _check_required(
        self, sobject_type: SObjectType, values: dict, *, creating: bool
    ) -> None:
        missing = [
            each.name
            for each in sobject_type.fields
            if each.required
            and (each.name in values or creating)
            and _is_blank(values.get(each.name))
        ]
        if missing:
            raise bad_request(
                "REQUIRED_FIELD_MISSING",
                f"Required fields are missing: [{', '.join(missing)}]",
                missing,
            )

    def _check_references(self, sobject_type: SObjectType, values: dict) -> None:
        for each in sobject_type.fields:
            value = values.get(each.name)
            if each.type != "reference" or value is None:
                continue
            canonical = ids.canonical_id(value)
            if canonical is None:
                raise bad_request(
                    "MALFORMED_ID",
                    f"{_label(each)}: id value of incorrect type: {value}",
                    [each.name],
                )
            target = self.settings.sobject_type(each.reference_to[0])
            if not canonical.startswith(target.key_prefix):
                raise bad_request(
                    "FIELD_INTEGRITY_EXCEPTION",
                    f"{_label(each)}: id value of incorrect type: {value}",
                    [each.name],
                )
            found = self.store.get(canonical)
            if found is None or found[2]:
                raise bad_request(
                    "INVALID_CROSS_REFERENCE_KEY",
                    "invalid cross reference id",
                    [each.name],
                )
            values[each.name] = canonical

    def _check_record_rules(
        self,
        sobject_type: SObjectType,
        data: dict,
        record_id: str | None,
        context: WriteContext,
    ) -> None:
        for each in sobject_type.fields:
            if each.validation_message and _is_blank(data.get(each.name)):
                raise bad_request(
                    "FIELD_CUSTOM_VALIDATION_EXCEPTION",
                    each.validation_message,
                    [each.name],
                )
        self._check_unique(sobject_type, data, record_id)
        for rule in self.settings.duplicate_rules_for(sobject_type.name):
            if rule.action == "alert" and context.allow_save:
                continue
            matches = self._duplicates(sobject_type, rule, data, record_id)
            if matches:
                raise duplicates_detected(
                    sobject_type.name, rule, matches, context.version
                )

    def _check_unique(
        self, sobject_type: SObjectType, data: dict, record_id: str | None
    ) -> None:
        for each in sobject_type.fields:
            value = data.get(each.name)
            if not each.unique or _is_blank(value):
                continue
            clash = next(
                (
                    other
                    for other in self.find_by_field(sobject_type, each, value)
                    if other["Id"] != record_id
                ),
                None,
            )
            if clash:
                raise bad_request(
                    "DUPLICATE_VALUE",
                    f"duplicate value found: {each.name} duplicates value on record with id: {clash['Id']}",
                    [],
                )

    def _duplicates(
        self,
        sobject_type: SObjectType,
        rule: DuplicateRule,
        data: dict,
        record_id: str | None,
    ) -> list:
        names = [
            sobject_type.field(name).name
            for name in rule.fields
            if sobject_type.field(name)
        ]
        wanted = [_normalized(data.get(name)) for name in names]
        if not names or any(_is_blank(value) for value in wanted):
            return []
        return [
            other
            for other in self.store.all(sobject_type.name)
            if other["Id"] != record_id
            and [_normalized(other.get(name)) for name in names] == wanted
        ]

    def _take_write_faults(
        self,
        method: str,
        context: WriteContext,
        sobject_type: SObjectType,
        *,
        creating: bool,
    ) -> None:
        if self.faults.take(faults.UNABLE_TO_LOCK_ROW, method, *context.paths):
            raise bad_request(
                "UNABLE_TO_LOCK_ROW",
                "unable to obtain exclusive access to this record or 1 records: ",
                [],
            )
        if creating and self.faults.take(
            faults.DUPLICATES_DETECTED, method, *context.paths
        ):
            rule = DuplicateRule(
                f"Leadflow_{sobject_type.name}_Duplicate_Rule",
                sobject_type.name,
                (),
                "block",
            )
            raise duplicates_detected(sobject_type.name, rule, [], context.version)


def duplicates_detected(
    sobject: str, rule: DuplicateRule, matches: list[dict], version: str
) -> ApiError:
    """Salesforce's DUPLICATES_DETECTED error with its duplicateResult."""
    match_records = [
        {
            "additionalInformation": [],
            "fieldDiffs": [],
            "matchConfidence": 100.0,
            "record": {
                "attributes": {
                    "type": sobject,
                    "url": record_url(version, sobject, match["Id"]),
                },
                "Id": match["Id"],
            },
        }
        for match in matches
    ]
    duplicate_result = {
        "allowSave": rule.action == "alert",
        "duplicateRule": rule.name,
        "duplicateRuleEntityType": sobject,
        "errorMessage": rule.message,
        "matchResults": [
            {
                "entityType": sobject,
                "errors": [],
                "matchEngine": "ExactMatchEngine",
                "matchRecords": match_records,
                "rule": rule.name.replace("Duplicate_Rule", "Match_Rule"),
                "size": len(match_records),
                "success": True,
            }
        ],
    }
    return ApiError(
        400,
        [
            {
                "duplicateResult": duplicate_result,
                "errorCode": "DUPLICATES_DETECTED",
                "message": rule.message,
            }
        ],
    )
