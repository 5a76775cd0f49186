"""What an org administrator would configure: API quota, duplicate rules, extra custom fields."""

import threading
from dataclasses import dataclass

from .errors import bad_request, not_found
from .schema import STANDARD_OBJECTS, Field, SObjectType

DEFAULT_DUPLICATE_MESSAGE = "Use one of these records?"


@dataclass(frozen=True)
class DuplicateRule:
    name: str
    sobject: str
    fields: tuple[str, ...]
    action: str  # "block" refuses the save; "alert" lets Sforce-Duplicate-Rule-Header: allowSave=true through
    message: str = DEFAULT_DUPLICATE_MESSAGE

    @classmethod
    def from_json(cls, spec: dict) -> "DuplicateRule":
        action = spec.get("action", "block")
        if action not in ("block", "alert"):
            raise bad_request(
                "INVALID_INPUT",
                f"Duplicate rule action must be block or alert, not {action!r}",
            )
        sobject = spec["sobject"]
        return cls(
            name=spec.get("name") or f"Leadflow_{sobject}_Duplicate_Rule",
            sobject=sobject,
            fields=tuple(spec["fields"]),
            action=action,
            message=spec.get("message", DEFAULT_DUPLICATE_MESSAGE),
        )

    def as_json(self) -> dict:
        return {
            "name": self.name,
            "sobject": self.sobject,
            "fields": list(self.fields),
            "action": self.action,
            "message": self.message,
        }


def custom_field_from_json(spec: dict) -> Field:
    """An org-specific custom field, e.g. {"sobject": "Account", "name": "Region__c", "required": true}."""
    name = spec["name"]
    if not name.endswith("__c"):
        raise bad_request("INVALID_INPUT", f"Custom field names end in __c: {name!r}")
    return Field(
        name,
        spec.get("type", "string"),
        spec.get("length", 255),
        label=spec.get("label", ""),
        nillable=not spec.get("required", False),
        external_id=spec.get("external_id", False),
        unique=spec.get("unique", False),
        validation_message=spec.get("validation_message", ""),
        picklist_values=tuple(spec.get("picklist_values", ())),
        restricted=bool(spec.get("restricted", False)),
    )


class OrgSettings:
    def __init__(self, api_limit: int) -> None:
        self._lock = threading.Lock()
        self._default_api_limit = api_limit
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self.api_limit = self._default_api_limit
            self.duplicate_rules: list[DuplicateRule] = []
            self._custom_fields: list[tuple[str, Field, dict]] = []

    def sobject_type(self, name: str) -> SObjectType:
        """The sObject named case-insensitively, with this org's custom fields; 404 if unknown."""
        standard = next(
            (each for key, each in STANDARD_OBJECTS.items() if key.lower() == name.lower()),
            None,
        )
        if standard is None:
            raise not_found(f"The requested resource does not exist: sObject type '{name}' is not supported.")
        for sobject, custom_field, _spec in self._custom_fields:
            if sobject == standard.name:
                standard = standard.with_field(custom_field)
        return standard

    def duplicate_rules_for(self, sobject: str) -> list[DuplicateRule]:
        return [rule for rule in self.duplicate_rules if rule.sobject == sobject]

    def configure(self, changes: dict) -> None:
        """Apply a partial configuration; keys that are absent keep their value."""
        rules = [DuplicateRule.from_json(spec) for spec in changes.get("duplicate_rules", [])]
        custom_fields = [
            (spec["sobject"], custom_field_from_json(spec), spec) for spec in changes.get("custom_fields", [])
        ]
        for sobject in {rule.sobject for rule in rules} | {sobject for sobject, _field, _spec in custom_fields}:
            if sobject not in STANDARD_OBJECTS:
                raise bad_request("INVALID_INPUT", f"Unknown sObject {sobject!r}")
        with self._lock:
            if "api_limit" in changes:
                self.api_limit = int(changes["api_limit"])
            if "duplicate_rules" in changes:
                self.duplicate_rules = rules
            if "custom_fields" in changes:
                self._custom_fields = custom_fields

    def as_json(self) -> dict:
        return {
            "api_limit": self.api_limit,
            "duplicate_rules": [rule.as_json() for rule in self.duplicate_rules],
            "custom_fields": [spec for _sobject, _field, spec in self._custom_fields],
        }
