from datetime import timedelta

import pytest
from django.utils import timezone

from leadflow.crm.models import Conversion
from leadflow.leads.models import Lead, LeadEvent, LeadState
from leadflow.leads.services import lead_reject, lead_transition
from leadflow.quality.models import DuplicateCandidate
from leadflow.review.dashboard import funnel_report
from tests.factories import LeadFactory

pytestmark = pytest.mark.django_db


def test_funnel_counts_states_sources_rejections_and_median_time_to_convert():
    converted = [LeadFactory(state=LeadState.QUALIFIED, source="web") for _ in range(2)]
    for hours, lead in zip((10, 30), converted, strict=True):
        Lead.objects.filter(pk=lead.pk).update(created_at=timezone.now() - timedelta(hours=hours))
        # The crm app stores Salesforce's ids before it marks a lead converted.
        Conversion.objects.create(
            lead=lead, status="done", account_id=f"001{lead.pk:015d}", contact_id=f"003{lead.pk:015d}"
        )
        lead_transition(lead=lead, name="convert", actor=None)
    lead_reject(lead=LeadFactory(source="web"), actor=None, reason="Spam")
    lead_reject(lead=LeadFactory(source="api"), actor=None, reason="Spam")
    held = LeadFactory(state=LeadState.DUPLICATE, source="api")
    DuplicateCandidate.objects.create(lead=held, other_lead=converted[0], matcher="exact", score=1, decision="auto")
    report = funnel_report(days=30)
    assert report.total == 5
    assert {(s.source, s.leads, s.converted) for s in report.by_source} == {("web", 3, 2), ("api", 2, 0)}
    assert report.rejected_by_reason == [("Spam", 2)]
    assert (report.duplicates_held, report.duplicates_caught) == (1, 1)
    assert report.converted == 2
    assert report.median_hours_to_convert == pytest.approx(20, abs=0.1)
    assert LeadEvent.objects.filter(to_state="converted").count() == 2


def test_leads_older_than_the_period_are_left_out():
    lead = LeadFactory()
    Lead.objects.filter(pk=lead.pk).update(created_at=timezone.now() - timedelta(days=100))
    assert funnel_report(days=90).total == 0


def test_dashboard_page_renders_numbers_and_chart_data_safely(manager_client):
    lead_reject(lead=LeadFactory(), actor=None, reason="</script><script>alert(1)</script>")
    body = manager_client.get("/dashboard/").content.decode()
    assert 'id="funnel-data"' in body
    assert "<script>alert(1)</script>" not in body
