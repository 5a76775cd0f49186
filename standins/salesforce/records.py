"""sObject create, read, update, upsert and delete with the validation a real org applies."""

from . import faults, ids
from .context import WriteContext
from .duplicates import duplicates_detected
from .errors import ApiError, api_error, bad_request, not_found
from .org import DuplicateRule, OrgSettings
from .schema import Field, SObjectType
from .store import RecordStore
from .values import check_restricted_picklist, coerce, is_blank, label, normalized
from .wire import now, record_url

IGNORED_BODY_KEYS = {"attributes"}


class RecordService:
    def __init__(self, store: RecordStore, settings: OrgSettings, fault_board: faults.FaultBoard) -> None:
        self.store = store
        self.settings = settings
        self.faults = fault_board

    # Reads

    def get(self, sobject: str, record_id: str) -> tuple[SObjectType, dict]:
        sobject_type, data, is_deleted = self._find(sobject, record_id)
        if is_deleted:
            raise not_found()
        return sobject_type, data

    def _find(self, sobject: str, record_id: str) -> tuple[SObjectType, dict, bool]:
        sobject_type = self.settings.sobject_type(sobject)
        canonical = ids.canonical_id(record_id)
        if canonical is None:
            # Salesforce reads a segment that is no id as the name of an external id field.
            raise not_found(f"Provided external ID field does not exist or is not accessible: {record_id}")
        found = self.store.get(canonical)
        if found is None or found[0] != sobject_type.name:
            raise not_found()
        return sobject_type, found[1], found[2]

    def find_by_field(self, sobject_type: SObjectType, each: Field, value: object) -> list[dict]:
        wanted = normalized(coerce(each, value))
        return [data for data in self.store.all(sobject_type.name) if normalized(data.get(each.name)) == wanted]

    def external_id_field(self, sobject_type: SObjectType, name: str) -> Field:
        each = sobject_type.field(name)
        if each is None or not (each.external_id or each.name == "Id"):
            raise not_found(f"Provided external ID field does not exist or is not accessible: {name}")
        return each

    # Writes

    def create(self, sobject: str, body: dict, context: WriteContext) -> str:
        sobject_type = self.settings.sobject_type(sobject)
        values = self._validated_values(sobject_type, body, creating=True)
        data = {each.name: each.default_value for each in sobject_type.fields if each.default_value is not None}
        data.update(values)
        with self.store.atomic():
            self._check_record_rules(sobject_type, data, None, context)
            self._take_write_faults("POST", context, sobject_type, record_id=None)
            stamp = now()
            system = {
                "IsDeleted": False,
                "CreatedDate": stamp,
                "LastModifiedDate": stamp,
                "SystemModstamp": stamp,
            }
            return self.store.insert(sobject_type.name, sobject_type.key_prefix, {**data, **system})

    def update(self, sobject: str, record_id: str, body: dict, context: WriteContext) -> None:
        with self.store.atomic():
            sobject_type, current = self._writable(sobject, record_id)
            # Echoing the record's own Id in the body is harmless; any other Id is refused.
            body = {
                key: value
                for key, value in body.items()
                if not (key == "Id" and ids.canonical_id(value) == current["Id"])
            }
            values = self._validated_values(sobject_type, body, creating=False)
            data = {**current, **values}
            self._check_record_rules(sobject_type, data, current["Id"], context)
            self._take_write_faults("PATCH", context, sobject_type, record_id=current["Id"])
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
        body = {key: item for key, item in body.items() if key.lower() != each.name.lower()}
        with self.store.atomic():
            matches = self.find_by_field(sobject_type, each, value)
            if len(matches) > 1:
                raise ApiError(
                    300,
                    [record_url(context.version, sobject_type.name, match["Id"]) for match in matches],
                )
            if matches:
                self.update(sobject, matches[0]["Id"], body, context)
                return matches[0]["Id"], False
            return self.create(sobject, {**body, each.name: value}, context), True

    def delete(self, sobject: str, record_id: str, context: WriteContext) -> None:
        with self.store.atomic():
            sobject_type, current = self._writable(sobject, record_id)
            self._take_write_faults("DELETE", context, sobject_type, record_id=current["Id"])
            self.store.replace(
                current["Id"],
                {**current, "IsDeleted": True, "SystemModstamp": now()},
                is_deleted=True,
            )

    def _writable(self, sobject: str, record_id: str) -> tuple[SObjectType, dict]:
        sobject_type, data, is_deleted = self._find(sobject, record_id)
        if is_deleted:
            raise api_error(404, "ENTITY_IS_DELETED", "entity is deleted", [])
        return sobject_type, data

    # Validation, in the order a real org reports problems

    def _validated_values(self, sobject_type: SObjectType, body: dict, *, creating: bool) -> dict:
        if not isinstance(body, dict):
            raise bad_request("JSON_PARSER_ERROR", "Expected a JSON object as the request body")
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
        for name, value in values.items():
            check_restricted_picklist(sobject_type.field(name), value)
        self._check_required(sobject_type, values, creating=creating)
        self._check_references(sobject_type, values)
        return values

    def _check_required(self, sobject_type: SObjectType, values: dict, *, creating: bool) -> None:
        missing = [
            each.name
            for each in sobject_type.fields
            if each.required and (each.name in values or creating) and is_blank(values.get(each.name))
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
                    f"{label(each)}: id value of incorrect type: {value}",
                    [each.name],
                )
            target = self.settings.sobject_type(each.reference_to[0])
            if not canonical.startswith(target.key_prefix):
                raise bad_request(
                    "FIELD_INTEGRITY_EXCEPTION",
                    f"{label(each)}: id value of incorrect type: {value}",
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
            if each.validation_message and is_blank(data.get(each.name)):
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
                raise duplicates_detected(sobject_type, rule, matches, context)

    def _check_unique(self, sobject_type: SObjectType, data: dict, record_id: str | None) -> None:
        for each in sobject_type.fields:
            value = data.get(each.name)
            if not each.unique or is_blank(value):
                continue
            clash = next(
                (other for other in self.find_by_field(sobject_type, each, value) if other["Id"] != record_id),
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
        names = [sobject_type.field(name).name for name in rule.fields if sobject_type.field(name)]
        wanted = [normalized(data.get(name)) for name in names]
        if not names or any(is_blank(value) for value in wanted):
            return []
        return [
            other
            for other in self.store.all(sobject_type.name)
            if other["Id"] != record_id and [normalized(other.get(name)) for name in names] == wanted
        ]

    def _take_write_faults(
        self,
        method: str,
        context: WriteContext,
        sobject_type: SObjectType,
        *,
        record_id: str | None,
    ) -> None:
        """Armed faults for this write; a create has no record_id yet."""
        if self.faults.take(faults.UNABLE_TO_LOCK_ROW, method, *context.paths):
            locked = f": {record_id}" if record_id else ""
            raise bad_request(
                "UNABLE_TO_LOCK_ROW",
                f"unable to obtain exclusive access to this record or 1 records{locked}",
                [],
            )
        if record_id is None and self.faults.take(faults.DUPLICATES_DETECTED, method, *context.paths):
            rule = DuplicateRule(
                f"Leadflow_{sobject_type.name}_Duplicate_Rule",
                sobject_type.name,
                (),
                "block",
            )
            raise duplicates_detected(sobject_type, rule, [], context)
