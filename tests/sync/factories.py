import uuid

import factory
from django.db import transaction
from django.urls import reverse
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

# A system of record's leading-system choice: Leadflow leads contact and company data, the target the address.
LEADFLOW_LEADS_CONTACT_AND_COMPANY = {
    "leading_contact": "leadflow",
    "leading_company": "leadflow",
    "leading_address": "target",
}


class TargetFactory(DjangoModelFactory):
    class Meta:
        model = SyncTarget

    name = factory.LazyAttributeSequence(lambda target, n: f"{target.kind}-{n}")


class WebhookTargetFactory(TargetFactory):
    kind = "webhook"
    settings = factory.LazyFunction(
        lambda: {"url": "http://127.0.0.1:9/", "secret": "s3cret", "events": [CUSTOMER_CONVERTED], "timeout_seconds": 2}
    )


class ExactTargetFactory(TargetFactory):
    kind = "exact"
    settings = factory.LazyFunction(lambda: {"division": 123456, "field_mapping": DEFAULT_FIELD_MAPPING})


class SnelStartTargetFactory(TargetFactory):
    kind = "snelstart"
    settings = factory.LazyFunction(
        lambda: {
            "api_url": "http://127.0.0.1:9/v2",
            "auth_url": "http://127.0.0.1:9/b2b/token",
            "subscription_key": "sub",
            "client_key": "key",
            "calls_per_minute": 60,
            **LEADFLOW_LEADS_CONTACT_AND_COMPANY,
        }
    )


class BusinessCentralTargetFactory(TargetFactory):
    kind = "businesscentral"
    settings = factory.LazyFunction(
        lambda: {
            "login_url": "http://127.0.0.1:9",
            "api_url": "http://127.0.0.1:9/v2.0",
            "tenant_id": str(uuid.uuid4()),
            "environment": "production",
            "company_id": str(uuid.uuid4()),
            "client_id": "client",
            "client_secret": "secret",
            "number_prefix": "LF",
            "calls_per_five_minutes": 6000,
            **LEADFLOW_LEADS_CONTACT_AND_COMPANY,
        }
    )


# A company customer with the fields the accounting targets keep, formatted as people type them.
JANSEN = {
    "company": "Bakkerij Jansen B.V.",
    "vat_number": "NL6813.37.223.B01",
    "email": "info@jansen.nl",
    "phone": "+31201234567",
    "street": "Dorpsstraat 1",
    "postcode": "1234 AB",
    "city": "Utrecht",
    "country": "NL",
}


def admin_target_add(client, *, kind: str, name: str, settings: dict[str, str]) -> SyncTarget:
    """Add a target of that kind through the admin's form (Leadflow leading contact and company data) and return
    it; `client` is logged in as staff."""
    fields = {f"settings_{key}": value for key, value in (settings | LEADFLOW_LEADS_CONTACT_AND_COMPANY).items()}
    answer = client.post(
        reverse("admin:sync_synctarget_add") + f"?kind={kind}", {"name": name, "enabled": "on", **fields}
    )
    assert answer.status_code == 302
    return SyncTarget.objects.get(name=name)


def target_with(target_factory: type[DjangoModelFactory], **settings) -> SyncTarget:
    """A target of that factory with `settings` over its defaults (to point it at a test's stand-in)."""
    return target_factory(settings=target_factory.settings.function() | settings)


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
