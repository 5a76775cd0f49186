import pytest

from leadflow.core.exceptions import ExternalServiceError
from leadflow.quality.remote import RemoteDirectory, RemoteQuery, RemoteRecord


class InMemoryDirectory(RemoteDirectory):
    """The one test double allowed: the CRM's records, searched the way the real directory promises to."""

    name = "memory"
    records: list[RemoteRecord] = []
    unreachable = False
    queries: list[RemoteQuery] = []

    def search(self, *, query: RemoteQuery) -> list[RemoteRecord]:
        type(self).queries.append(query)
        if self.unreachable:
            raise ExternalServiceError("Salesforce did not answer.", permanent=False)
        wanted = {
            "email": {e.lower() for e in query.emails},
            "phone": set(query.phones),
            "website": set(query.domains),
            "company": {c.lower() for c in query.company_names},
            "vat_number": set(query.vat_numbers),
        }
        return [
            record
            for record in self.records
            if any(record.fields.get(name, "").lower() in values for name, values in wanted.items() if values)
        ]


@pytest.fixture
def crm(settings):
    """Switches remote matching on against an in-memory CRM; add RemoteRecords to `crm.records`."""
    InMemoryDirectory.records, InMemoryDirectory.unreachable, InMemoryDirectory.queries = [], False, []
    settings.LEADFLOW_REMOTE_DIRECTORY = "tests.quality.conftest.InMemoryDirectory"
    return InMemoryDirectory
