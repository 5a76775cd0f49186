"""Salesforce's DUPLICATES_DETECTED error, raised when a duplicate rule matches a save."""

from .context import WriteContext
from .errors import ApiError
from .org import DuplicateRule
from .schema import SObjectType
from .wire import with_attributes


def duplicates_detected(
    sobject_type: SObjectType,
    rule: DuplicateRule,
    matches: list[dict],
    context: WriteContext,
) -> ApiError:
    """Salesforce's DUPLICATES_DETECTED error with its duplicateResult."""
    sobject = sobject_type.name
    match_records = [
        {
            "additionalInformation": [],
            "fieldDiffs": [],
            "matchConfidence": 100.0,
            "record": _matched_record(sobject_type, match, context),
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


def _matched_record(sobject_type: SObjectType, data: dict, context: WriteContext) -> dict:
    """The duplicate as the header asked for it: every field, or only its Id."""
    record = with_attributes(sobject_type, data, context.version)
    if context.include_record_details:
        return record
    return {"attributes": record["attributes"], "Id": data["Id"]}
