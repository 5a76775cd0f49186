import pytest
from django.urls import reverse

from leadflow.leads.models import LeadState
from leadflow.sync.models import SyncJob, SyncTarget
from tests.factories import LeadFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_converted_lead_page_shows_each_targets_sync_state(client):
    manager = UserFactory(username="boss", is_superuser=True, is_staff=True)
    lead = LeadFactory(state=LeadState.CONVERTED)
    target = SyncTarget.objects.create(name="erp-hook", kind="webhook", settings={"url": "http://127.0.0.1:9/hook"})
    SyncJob.objects.create(target=target, lead=lead, event="customer.converted", payload={}, last_error="Receiver down")
    client.force_login(manager)
    page = client.get(reverse("review:lead", args=[lead.pk])).content.decode()
    assert "Downstream sync" in page
    assert 'data-target="erp-hook" data-state="pending"' in page
