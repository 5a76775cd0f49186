"""The contract every CRM a lead converts into implements, and the registry that picks one per lead source.

Like Django's `SessionBase`: `CrmTarget` states what conversion asks of a CRM; each CRM is one package under
`leadflow/integrations/<kind>/` with a subclass that its app offers (`plugins.offer` into LEADFLOW_CRM_TARGETS).
Which CRM a lead goes to is `settings.LEADFLOW_CRM_BY_SOURCE` (source pattern → CRM name, first match wins), else
`LEADFLOW_CRM_DEFAULT`.

The conversion service (leadflow.crm.services) owns the `Conversion` rows: claiming, retries, marking the lead
converted. A target only talks to its CRM: a preview that writes nothing, and a run that creates or links the
three records of each lead (account, contact, deal; named as the CRM names them) and is safe to repeat after a
lost answer.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import TYPE_CHECKING, Any, ClassVar

from django.conf import settings
from django.core.checks import Error, register

from leadflow.core import plugins
from leadflow.core.exceptions import ExternalServiceError

if TYPE_CHECKING:
    from leadflow.crm.models import Conversion
    from leadflow.integrations.salesforce.payload import Deal
    from leadflow.leads.models import Lead

# The three records of a conversion, in the order they are made; the Conversion row has an `<ref>_id` and an
# `<ref>_action` column for each.
REFERENCES = ("account", "contact", "opportunity")
DOES_NOT_FIT = "DOES_NOT_FIT_ORG"  # error code of a conversion stopped before sending: the CRM would refuse it


@dataclass
class Converted:
    """A conversion the CRM committed: per reference, the record id and the RecordAction taken."""

    records: dict[str, tuple[str, str]]


@dataclass
class BatchOutcome:
    """What a target did with a batch: per conversion (in order) a `Converted`, the error that stopped it, or
    None for one given back unattempted (it runs in a later batch); `calls` is the API calls spent."""

    outcomes: list[Converted | ExternalServiceError | None] = field(default_factory=list)
    calls: float = 0


@dataclass(frozen=True)
class QuotaWait:
    """The CRM's quota is (nearly) used up: conversions wait `seconds` without spending an attempt."""

    message: str
    code: str
    seconds: int


class CrmTarget:
    """One CRM. `name` is its key in LEADFLOW_CRM_TARGETS; `record_names` what it calls an account, a contact
    and a deal, for people."""

    name: ClassVar[str]
    label: ClassVar[str]
    record_names: ClassVar[tuple[str, str, str]]

    def preview(self, *, lead: "Lead", external_key: str, deal: "Deal") -> Any:
        """What converting would create or link now, without writing: an object with `records` (each with
        `sobject`, `action`, `action_label`, `label`, `link`, `reason`, `values`, `updates`), `problems` (why
        the CRM would refuse it; nothing is sent then) and `unknown_fields`. Raises ExternalServiceError."""
        raise NotImplementedError

    def convert(self, conversions: Sequence["Conversion"]) -> BatchOutcome:
        """Create or link each claimed conversion's records. Must be idempotent: a conversion is run again after
        a lost answer or a killed worker, and must then find what the earlier attempt made."""
        raise NotImplementedError

    def quota_wait(self, *, calls: int) -> QuotaWait | None:
        """Whether conversions must wait before spending `calls` calls (None: go ahead)."""
        return None

    def record_link(self, reference: str, record_id: str) -> str:
        """The record's page in the CRM, for people."""
        raise NotImplementedError

    def deal_stages(self) -> list[str]:
        """The stages a person may choose for the deal (the configured one alone if the CRM cannot be asked)."""
        raise NotImplementedError

    def record_name(self, reference: str) -> str:
        return self.record_names[REFERENCES.index(reference)]


def crm_target(name: str) -> CrmTarget:
    """The target a CRM name stands for (one instance per process)."""
    try:
        return plugins.load_object("LEADFLOW_CRM_TARGETS", name)
    except LookupError:
        raise ExternalServiceError(f"No CRM named “{name}” is configured.", permanent=True) from None


def crm_name_for_source(source: str) -> str:
    """The CRM leads of this source convert into: the first pattern of LEADFLOW_CRM_BY_SOURCE that matches
    (shell-style, e.g. "woocommerce:*"), else LEADFLOW_CRM_DEFAULT."""
    for pattern, name in settings.LEADFLOW_CRM_BY_SOURCE.items():
        if fnmatchcase(source, pattern):
            return name
    return settings.LEADFLOW_CRM_DEFAULT


def crm_for_lead(lead: "Lead") -> CrmTarget:
    return crm_target(crm_name_for_source(lead.source))


@register()
def crm_targets_check(app_configs: Any, **kwargs: Any) -> list[Error]:
    """A source mapped to a CRM that is not configured fails `manage.py check`, not a conversion (the targets'
    own paths are checked with every other plug-in: leadflow.E001-E003)."""
    wanted = {settings.LEADFLOW_CRM_DEFAULT, *settings.LEADFLOW_CRM_BY_SOURCE.values()}
    installed = plugins.configured("LEADFLOW_CRM_TARGETS")
    return [
        Error(
            f"LEADFLOW_CRM_DEFAULT or LEADFLOW_CRM_BY_SOURCE names the CRM {name!r}, which "
            f"no installed CRM integration offers ({', '.join(installed)}).",
            id="leadflow.E522",
        )
        for name in sorted(wanted - set(installed))
    ]
