"""/composite/sobjects: create, update, upsert or delete up to 200 records in one call.

Errors per record use `statusCode` instead of `errorCode`, as in Salesforce. With allOrNone every
record is still checked, then all are rolled back and the valid ones report that.
"""

from collections.abc import Callable

from . import ids
from .context import WriteContext
from .errors import ApiError, bad_request
from .messages import Request, Response
from .state import SandboxState

MAX_RECORDS = 200
ROLLED_BACK = "Record rolled back because not all records were valid and the request was using AllOrNone header"


def create_records(state: SandboxState, request: Request, context: WriteContext) -> Response:
    def create(record: dict) -> dict:
        record_id = state.records.create(_type_of(record), record, context)
        return {"id": record_id, "success": True, "errors": []}

    return _apply(state, *_records_and_mode(request.body), create)


def update_records(state: SandboxState, request: Request, context: WriteContext) -> Response:
    def update(record: dict) -> dict:
        record_id = record.get("id") or record.get("Id")
        if not record_id:
            raise bad_request("MISSING_ARGUMENT", "Id not specified in an update call", ["Id"])
        fields = {key: value for key, value in record.items() if key not in ("id", "Id")}
        state.records.update(_type_of(record), record_id, fields, context)
        return {"id": ids.canonical_id(record_id), "success": True, "errors": []}

    return _apply(state, *_records_and_mode(request.body), update)


def upsert_records(
    state: SandboxState,
    request: Request,
    context: WriteContext,
    sobject: str,
    field: str,
) -> Response:
    def upsert(record: dict) -> dict:
        value = next((item for key, item in record.items() if key.lower() == field.lower()), None)
        if value is None:
            raise bad_request("MISSING_ARGUMENT", f"{field} not specified", [field])
        record_id, created = state.records.upsert(sobject, field, value, record, context)
        return {"id": record_id, "success": True, "errors": [], "created": created}

    return _apply(state, *_records_and_mode(request.body), upsert)


def delete_records(state: SandboxState, request: Request, context: WriteContext) -> Response:
    record_ids = [each for each in (request.param("ids") or "").split(",") if each]
    all_or_none = (request.param("allOrNone") or "false").lower() == "true"

    def delete(record_id: str) -> dict:
        found = state.store.get(ids.canonical_id(record_id) or "")
        if found is None:
            raise bad_request("INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id", [])
        state.records.delete(found[0], record_id, context)
        return {"id": ids.canonical_id(record_id), "success": True, "errors": []}

    return _apply(state, record_ids, all_or_none, delete)


def _records_and_mode(body: object) -> tuple[list, bool]:
    records = body.get("records") if isinstance(body, dict) else None
    if not isinstance(records, list):
        raise bad_request("JSON_PARSER_ERROR", "records must be an array")
    return records, bool(body.get("allOrNone", False))


def _type_of(record: dict) -> str:
    sobject = (record.get("attributes") or {}).get("type")
    if not sobject:
        raise bad_request("INVALID_TYPE", "Must specify a type in the attributes of the record")
    return sobject


def _apply(state: SandboxState, items: list, all_or_none: bool, operation: Callable[..., dict]) -> Response:
    if len(items) > MAX_RECORDS:
        raise bad_request(
            "EXCEEDED_ID_LIMIT",
            f"record limit reached. cannot submit more than {MAX_RECORDS} records into this call",
        )
    with state.store.atomic() as transaction:
        results = [_attempt(operation, item) for item in items]
        if all_or_none and not all(result["success"] for result in results):
            transaction.set_rollback()
            results = [
                result
                if not result["success"]
                else {
                    "success": False,
                    "errors": [_error("ALL_OR_NONE_OPERATION_ROLLED_BACK", ROLLED_BACK)],
                }
                for result in results
            ]
    return Response(200, results)


def _attempt(operation: Callable[..., dict], item: object) -> dict:
    try:
        return operation(item)
    except ApiError as error:
        if error.status == 300:  # several records carry the external id; error.errors are URLs
            message = f"more than one record found for external id field: {error.errors}"
            return {
                "success": False,
                "errors": [_error("DUPLICATE_EXTERNAL_ID", message)],
            }
        errors = [_error(each["errorCode"], each["message"], each.get("fields", [])) for each in error.errors]
        return {"success": False, "errors": errors}


def _error(status_code: str, message: str, fields: list | None = None) -> dict:
    return {"statusCode": status_code, "message": message, "fields": fields or []}
