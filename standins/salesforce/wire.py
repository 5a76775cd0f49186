"""How records and timestamps look in REST API responses."""

import datetime as dt

from .schema import SObjectType


def salesforce_datetime(moment: dt.datetime) -> str:
    """Salesforce's dateTime format: 2024-05-01T09:30:00.000+0000."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}+0000"


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
