import pytest

from leadflow.leads import services
from leadflow.leads.models import Lead, LeadState
from tests.helpers import wait_for

pytestmark = [pytest.mark.redis]


def test_new_lead_is_validated_by_a_real_worker_over_redis(celery_worker_process):
    lead = services.lead_create(
        actor="api:tests",
        first_name="Jan",
        last_name="Jansen",
        email="jan@jansen-bouw.nl",
        company="Jansen Bouw",
        country="NL",
    )
    processed = Lead.objects.filter(pk=lead.pk, state=LeadState.VALIDATED, checks_due_at__isnull=True)
    assert wait_for(processed.exists), "worker did not process"
    lead.refresh_from_db()
    # Validated by the checks; qualifying is a person's decision (the source does not auto-qualify).
    assert list(lead.events.filter(kind="transition").values_list("to_state", flat=True)) == ["validated"]


def test_lead_whose_message_was_lost_is_recovered_by_the_sweeper(celery_worker_process, settings):
    lead = services.lead_create(
        actor=None, last_name="Vos", email="vos@vos-advies.nl", company="Vos Advies", country="NL"
    )
    assert wait_for(lambda: Lead.objects.get(pk=lead.pk).checks_due_at is None)
    # Simulate a lost message: due long ago, its wake-up sent long ago, nothing queued.
    long_ago = "2020-01-01T00:00:00Z"
    Lead.objects.filter(pk=lead.pk).update(checks_due_at=long_ago, wake_up_sent_at=long_ago, checked_at=None)
    from leadflow.leads.tasks import sweep_stuck_leads

    sweep_stuck_leads.delay()
    assert wait_for(lambda: Lead.objects.get(pk=lead.pk).checks_due_at is None)
    assert Lead.objects.get(pk=lead.pk).checked_at is not None
