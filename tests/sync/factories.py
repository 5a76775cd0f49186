from types import SimpleNamespace

import factory
from factory.django import DjangoModelFactory

from leadflow.leads.models import Lead, LeadState
from leadflow.sync.events import CUSTOMER_CONVERTED
from leadflow.sync.models import SyncTarget, TargetKind
from leadflow.sync.targets.exact import DEFAULT_FIELD_MAPPING
from tests.factories import LeadFactory


class WebhookTargetFactory(DjangoModelFactory):
    class Meta:
        model = SyncTarget

    name = factory.Sequence(lambda n: f"webhook-{n}")
    kind = TargetKind.WEBHOOK
    settings = factory.LazyFunction(
        lambda: {"url": "http://127.0.0.1:9/", "secret": "s3cret", "events": [CUSTOMER_CONVERTED], "timeout_seconds": 2}
    )


class ExactTargetFactory(DjangoModelFactory):
    class Meta:
        model = SyncTarget

    name = factory.Sequence(lambda n: f"exact-{n}")
    kind = TargetKind.EXACT
    settings = factory.LazyFunction(lambda: {"division": 123456, "field_mapping": DEFAULT_FIELD_MAPPING})


def salesforce_ids(lead: Lead) -> SimpleNamespace:
    """What leadflow.crm's Conversion carries, by the attribute names the sync payload reads."""
    return SimpleNamespace(
        salesforce_account_id=f"001AA{lead.pk:013d}",
        salesforce_contact_id=f"003AA{lead.pk:013d}",
        salesforce_opportunity_id=f"006AA{lead.pk:013d}",
    )


def converted_lead(**fields) -> tuple[Lead, SimpleNamespace]:
    """A lead already marked converted (the crm app's job), with its Salesforce ids."""
    lead = LeadFactory(**fields)
    Lead.objects.filter(pk=lead.pk).update(state=LeadState.CONVERTED)
    lead.refresh_from_db()
    return lead, salesforce_ids(lead)
