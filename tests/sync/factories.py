import factory
from django.db import transaction
from django.utils import timezone
from factory.django import DjangoModelFactory

from leadflow.crm.models import Conversion, ConversionStatus
from leadflow.integrations.exact.models import ExactConnection
from leadflow.integrations.exact.target import DEFAULT_FIELD_MAPPING
from leadflow.leads.models import Lead, LeadState
from leadflow.sync import services
from leadflow.sync.events import CUSTOMER_CONVERTED
from leadflow.sync.models import JobState, SyncJob, SyncTarget
from tests.factories import LeadFactory


class WebhookTargetFactory(DjangoModelFactory):
    class Meta:
        model = SyncTarget

    name = factory.Sequence(lambda n: f"webhook-{n}")
    kind = "webhook"
    settings = factory.LazyFunction(
        lambda: {"url": "http://127.0.0.1:9/", "secret": "s3cret", "events": [CUSTOMER_CONVERTED], "timeout_seconds": 2}
    )


class ExactTargetFactory(DjangoModelFactory):
    class Meta:
        model = SyncTarget

    name = factory.Sequence(lambda n: f"exact-{n}")
    kind = "exact"
    settings = factory.LazyFunction(lambda: {"division": 123456, "field_mapping": DEFAULT_FIELD_MAPPING})


def converted_lead(**fields) -> tuple[Lead, Conversion]:
    """A lead the crm app has converted: marked converted, with a finished Conversion holding Salesforce ids."""
    lead = LeadFactory(**fields)
    Lead.objects.filter(pk=lead.pk).update(state=LeadState.CONVERTED)
    lead.refresh_from_db()
    conversion = Conversion.objects.create(
        lead=lead,
        status=ConversionStatus.DONE,
        account_id=f"001AA{lead.pk:013d}",
        contact_id=f"003AA{lead.pk:013d}",
        opportunity_id=f"006AA{lead.pk:013d}",
    )
    return lead, conversion


def convert(**lead_fields) -> SyncJob:
    """Convert a lead for the one target there is; its job is delivered on commit (tasks run eagerly)."""
    lead, conversion = converted_lead(**lead_fields)
    with transaction.atomic():
        [job] = services.outbox_enqueue_conversion(lead=lead, conversion=conversion)
    job.refresh_from_db()
    return job


def run_again(job: SyncJob) -> SyncJob:
    """Deliver the job once more now, as a retry would (its target no longer paused)."""
    SyncJob.objects.filter(pk=job.pk).update(state=JobState.PENDING, next_attempt_at=timezone.now())
    SyncTarget.objects.filter(pk=job.target_id).update(paused_until=None)
    services.sync_job_deliver(job_id=job.pk)
    job.refresh_from_db()
    return job


def exact_connect(exact_standin, target: SyncTarget) -> ExactConnection:
    """Store tokens for an Exact target the way the admin's connect flow does (that flow is tested through its
    views in tests/integrations/exact/test_target.py)."""
    tokens = exact_standin.obtain_tokens()
    return ExactConnection.objects.create(
        target=target,
        access_token=tokens["access_token"],
        refresh_token=tokens["refresh_token"],
        access_expires_at=timezone.now() + timezone.timedelta(seconds=int(tokens["expires_in"])),
        connected_at=timezone.now(),
    )
