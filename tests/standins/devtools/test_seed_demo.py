import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import call_command

from leadflow.crm.models import Conversion, ConversionStatus
from leadflow.leads.models import Lead, LeadState
from leadflow.sync.models import JobState, SyncJob
from standins.devtools.demo import PEOPLE

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _roles():
    """The roles' groups come from a data migration, which the flush after a transactional test empties."""
    for _, group, _ in PEOPLE:
        Group.objects.get_or_create(name=group)


def test_seed_demo_creates_every_login_leads_in_every_state_and_real_conversions(salesforce, settings, tmp_path):
    settings.DATA_DIR = tmp_path
    call_command("seed_demo", leads=40, seed=3, password="demo-pass-123")

    users = get_user_model().objects.filter(username__in=[username for username, _, _ in PEOPLE])
    assert users.count() == len(PEOPLE)
    assert all(user.check_password("demo-pass-123") for user in users)
    states = set(Lead.objects.values_list("state", flat=True))
    assert {LeadState.VALIDATED, LeadState.QUALIFIED, LeadState.REJECTED, LeadState.CONVERTED} <= states
    done = Conversion.objects.filter(status=ConversionStatus.DONE)
    assert done.exists()
    sandbox_accounts = {record["Id"] for record in salesforce.records("Account")}
    assert set(done.values_list("account_id", flat=True)) <= sandbox_accounts
    # The sync monitor has content: each converted customer waits for the (paused) Exact target.
    held = SyncJob.objects.filter(target__name="exact-demo", state=JobState.PENDING)
    assert held.count() == Lead.objects.filter(state=LeadState.CONVERTED).count() > 0


def test_seed_demo_run_twice_keeps_the_leads_it_made(salesforce, settings, tmp_path):
    settings.DATA_DIR = tmp_path
    call_command("seed_demo", leads=20, seed=3, password="demo-pass-123")
    first = Lead.objects.count()
    call_command("seed_demo", leads=20, seed=3, password="demo-pass-123")
    assert Lead.objects.count() == first
