"""The contract for looking up records that already live in the CRM, so a lead is matched against them too.

`settings.LEADFLOW_REMOTE_DIRECTORY` names the implementation by dotted path (the Salesforce one lives in
`leadflow.integrations.salesforce.directory`); empty means no remote matching. Implementations make network
calls: callers never hold a row lock while searching.
"""

from dataclasses import dataclass, field
from typing import ClassVar

from leadflow.core.plugins import load_object

# Leadflow field names a RemoteRecord's `fields` may carry.
REMOTE_FIELDS = (
    "first_name",
    "last_name",
    "email",
    "phone",
    "company",
    "website",
    "vat_number",
    "registration_number",
    "street",
    "postcode",
    "city",
    "country",
)


@dataclass(frozen=True)
class RemoteRecord:
    sobject: str  # "Lead", "Contact" or "Account"
    id: str  # Salesforce id
    label: str  # for people: "Anna de Vries (Acme B.V.)"
    fields: dict[str, str] = field(default_factory=dict, compare=False)  # keys from REMOTE_FIELDS


@dataclass(frozen=True)
class RemoteQuery:
    """What to look for; a directory returns records agreeing on any one of these values."""

    emails: tuple[str, ...] = ()
    phones: tuple[str, ...] = ()  # E.164
    domains: tuple[str, ...] = ()  # registrable company domains, never free-mail ones
    company_names: tuple[str, ...] = ()
    vat_numbers: tuple[str, ...] = ()
    registration_numbers: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return any(
            (self.emails, self.phones, self.domains, self.company_names, self.vat_numbers, self.registration_numbers)
        )


class RemoteDirectory:
    """Looks up records already in the CRM. Raises leadflow.core.exceptions.ExternalServiceError when unreachable."""

    name: ClassVar[str] = ""

    def search(self, *, query: RemoteQuery) -> list[RemoteRecord]:
        raise NotImplementedError


def remote_directory() -> RemoteDirectory | None:
    """The configured directory; None when remote matching is off."""
    return load_object("LEADFLOW_REMOTE_DIRECTORY")
