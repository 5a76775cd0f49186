import pytest

from leadflow.crm import services
from leadflow.crm.models import Conversion, ConversionStatus
from leadflow.leads.models import LeadEvent
from tests.leads.test_concurrency import fire_together

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_two_workers_running_the_same_conversion_at_once_write_to_salesforce_once(salesforce, qualified_lead):
    Conversion.objects.create(lead=qualified_lead)  # requested, its task not yet run

    outcomes = fire_together(
        lambda: services.lead_convert_run(lead_id=qualified_lead.pk),
        lambda: services.lead_convert_run(lead_id=qualified_lead.pk),
    )

    assert not [o for o in outcomes if isinstance(o, Exception)], outcomes
    assert sum(o is not None for o in outcomes) == 1
    assert Conversion.objects.get().status == ConversionStatus.DONE
    assert len(salesforce.records("Account")) == len(salesforce.records("Contact")) == 1
    assert salesforce.api_calls == 3  # describe, lookup, write: once
    assert qualified_lead.events.filter(kind=LeadEvent.Kind.TRANSITION, transition="convert").count() == 1
