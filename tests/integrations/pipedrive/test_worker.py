"""End to end through real Celery worker processes: request → Redis → worker → Pipedrive stand-in over HTTP →
database, and a worker killed between Pipedrive's write and its answer."""

import pytest

from leadflow.crm import services
from leadflow.crm.models import Conversion, ConversionStatus
from leadflow.crm.tasks import sweep_conversions
from leadflow.leads.models import Lead, LeadState
from tests.leads.test_worker import wait_for
from tests.plugins.celery_worker import start_celery_worker, stop_celery_worker

pytestmark = [pytest.mark.redis]


@pytest.fixture
def pipedrive_worker(transactional_db, pipedrive_standin, monkeypatch, request):
    """The shared worker fixture, started with this test's stand-in as its Pipedrive account."""
    monkeypatch.setenv("PIPEDRIVE_API_URL", pipedrive_standin.url)
    monkeypatch.setenv("PIPEDRIVE_API_TOKEN", pipedrive_standin.api_token)
    monkeypatch.setenv("LEADFLOW_CRM_BY_SOURCE", "woocommerce:*=pipedrive")
    return request.getfixturevalue("celery_worker_process")


def records(standin):
    return [len(standin.all(kind)) for kind in ("organization", "person", "deal")]


def test_a_worker_converts_a_web_shop_lead_into_pipedrive(pipedrive_worker, pipedrive_standin, shop_lead):
    services.lead_convert_request(lead=shop_lead, actor="tests")

    assert wait_for(lambda: Lead.objects.get(pk=shop_lead.pk).state == LeadState.CONVERTED)
    conversion = Conversion.objects.get(lead=shop_lead)
    assert (conversion.crm, conversion.status) == ("pipedrive", ConversionStatus.DONE)
    assert records(pipedrive_standin) == [1, 1, 1]


def test_a_worker_killed_after_pipedrive_made_the_person_leaves_no_duplicate(
    pipedrive_worker, pipedrive_standin, shop_lead, tmp_path
):
    pipedrive_standin.hold_next_answer("/api/v2/persons")
    services.lead_convert_request(lead=shop_lead, actor="tests")
    assert pipedrive_standin.answer_held.wait(timeout=60)

    pipedrive_worker.kill()  # SIGKILL: no chance to record anything
    pipedrive_worker.wait(timeout=20)
    pipedrive_standin.release.set()
    replacement = start_celery_worker(tmp_path / "replacement.log")
    try:
        # The sweeper takes over a conversion left in progress once it is stuck; here it is made stuck at once.
        Conversion.objects.filter(lead=shop_lead).update(claimed_at="2020-01-01T00:00:00Z")
        sweep_conversions.delay()
        assert wait_for(lambda: Lead.objects.get(pk=shop_lead.pk).state == LeadState.CONVERTED), str(
            list(Conversion.objects.values("status", "attempts", "last_error"))
        )
    finally:
        stop_celery_worker(replacement)
    assert records(pipedrive_standin) == [1, 1, 1]
    [person] = pipedrive_standin.all("person")
    assert Conversion.objects.get(lead=shop_lead).contact_id == str(person["id"])
