"""Events beyond customer.converted: opt-in per target, one job per target in the transaction that records the
change, and every body exactly as its JSON Schema in docs/schemas/ documents it."""

import json
from pathlib import Path

import pytest
from django.db import transaction
from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry, Resource

from leadflow.crm.deals import WonDeal, deal_won_record
from leadflow.integrations.webhook.target import webhook_body
from leadflow.leads.models import Lead, LeadEvent, LeadState
from leadflow.leads.services import (
    lead_create,
    lead_create_many,
    lead_event_record,
    lead_qualify,
    lead_reject,
    lead_update,
)
from leadflow.sync import services
from leadflow.sync.events import EVENTS
from leadflow.sync.models import JobState, SyncJob
from tests.factories import LeadFactory
from tests.sync.factories import ExactTargetFactory, WebhookTargetFactory, converted_lead

pytestmark = pytest.mark.django_db(transaction=True)

SCHEMAS = Path(__file__).resolve().parents[2] / "docs" / "schemas"


def registry() -> Registry:
    resources = []
    for path in SCHEMAS.glob("*.v1.json"):
        schema = json.loads(path.read_text())
        resources.append((schema["$id"], Resource.from_contents(schema)))
    return Registry().with_resources(resources)


def validator(event: str) -> Draft202012Validator:
    schema = json.loads((SCHEMAS / f"{event}.v1.json").read_text())
    return Draft202012Validator(schema, registry=registry(), format_checker=FormatChecker())


def undocumented(body: dict, parts: list) -> set[str]:
    """Keys in `body` that no schema in `parts` ((schema, resolver) pairs, following $ref and allOf) names:
    the schemas must document every field sent. `change.details` is free-form by design."""
    properties: dict[str, list] = {}
    stack = list(parts)
    while stack:
        schema, resolver = stack.pop()
        if "$ref" in schema:
            resolved = resolver.lookup(schema["$ref"])
            stack.append((resolved.contents, resolved.resolver))
        stack += [(sub, resolver) for sub in schema.get("allOf", [])]
        for name, sub in schema.get("properties", {}).items():
            properties.setdefault(name, []).append((sub, resolver))
    missing = {key for key in body if key not in properties}
    for key, value in body.items():
        if isinstance(value, dict) and key in properties and key != "details":
            missing |= {f"{key}.{name}" for name in undocumented(value, properties[key])}
    return missing


@pytest.fixture
def all_events_target(receiver):
    return WebhookTargetFactory(settings={"url": receiver.url, "secret": "s", "events": list(EVENTS)})


def emit_every_event() -> None:
    """Cause each event through the services that really cause it."""
    with transaction.atomic():
        lead_create(actor="tests", source="tests", first_name="Anna", last_name="Jansen", email="anna@jansen.nl")
    lead_qualify(lead=LeadFactory(state=LeadState.VALIDATED, company="Jansen B.V."), actor="tests")
    lead_reject(lead=LeadFactory(), actor="tests", reason="A competitor.")
    customer, conversion = converted_lead(company="Bakkerij Jansen B.V.")
    with transaction.atomic():
        services.outbox_enqueue_conversion(lead=customer, conversion=conversion)
    lead_event_record(
        lead=customer,
        kind=LeadEvent.Kind.NOTE,
        actor="woocommerce:shop",
        reason="Order 7",
        data={"customer_change": "order", "order_id": 7, "total": "12.50"},
    )
    lead_update(lead=customer, changes={"phone": "+31207654321"}, actor="anna")
    deal_won_record(
        lead=customer,
        deal=WonDeal(
            crm="salesforce",
            id=conversion.opportunity_id,
            name="40 licences",
            amount=4000.0,
            currency="EUR",
            close_date="2026-12-01",
        ),
    )


def test_every_emitted_body_validates_against_its_documented_schema(all_events_target, receiver):
    emit_every_event()

    jobs = SyncJob.objects.filter(target=all_events_target)
    assert set(jobs.values_list("event", flat=True)) == set(EVENTS)
    for job in jobs:
        body = json.loads(webhook_body(job))
        check = validator(job.event)
        assert not [e.message for e in check.iter_errors(body)], job.event
        assert not undocumented(body, [(check.schema, registry().resolver(base_uri=check.schema["$id"]))]), job.event
    assert {r.json["event"] for r in receiver.received} == set(EVENTS)
    assert all(job.state == JobState.DONE for job in jobs)


def test_the_documentation_check_notices_a_field_the_schema_does_not_name():
    schema = json.loads((SCHEMAS / "lead.created.v1.json").read_text())
    resolver = registry().resolver(base_uri=schema["$id"])
    body = {"id": "x", "event": "lead.created", "lead": {"state": "new", "fields": {"email": "", "shoe_size": "44"}}}

    assert undocumented(body, [(schema, resolver)]) == {"lead.fields.shoe_size"}


def test_a_target_gets_only_the_events_it_opted_into(receiver):
    WebhookTargetFactory(settings={"url": receiver.url, "secret": "s", "events": ["lead.rejected"]})

    emit_every_event()

    assert list(SyncJob.objects.values_list("event", flat=True)) == ["lead.rejected"]


def test_accounting_target_takes_conversions_won_deals_and_edits_but_no_lead_events_or_orders():
    exact = ExactTargetFactory(enabled=False)  # switched off: the jobs wait, nothing is sent
    exact.enabled = True
    with transaction.atomic():
        exact.save()
        emit_every_event()
        assert set(SyncJob.objects.filter(target=exact).values_list("event", flat=True)) == {
            "customer.converted",
            "customer.updated",
            "deal.won",
        }
        [update] = SyncJob.objects.filter(target=exact, event="customer.updated")
        assert update.payload["change"]["kind"] == "edit"  # The web-shop order changed no data Exact keeps.
        transaction.set_rollback(True)


def test_no_lead_created_job_remains_when_the_creation_rolls_back(all_events_target):
    with pytest.raises(RuntimeError), transaction.atomic():
        lead_create(actor="tests", source="tests", email="anna@jansen.nl")
        raise RuntimeError("the caller failed after creating the lead")

    assert not SyncJob.objects.exists()
    assert not Lead.objects.exists()


def test_an_import_batch_queues_one_lead_created_job_per_lead(all_events_target, receiver):
    leads = lead_create_many(
        actor="import:people.csv",
        source_kind="import",
        source="people.csv",
        items=[{"email": f"p{n}@example.nl", "last_name": f"P{n}", "external_id": str(n)} for n in range(5)],
    )

    jobs = SyncJob.objects.filter(event="lead.created")
    assert sorted(jobs.values_list("lead_id", flat=True)) == sorted(leads)
    assert {r.json["lead"]["source"] for r in receiver.received} == {"people.csv"}


def test_a_won_deal_is_noted_and_announced_once(all_events_target):
    customer, conversion = converted_lead()
    deal = WonDeal(
        crm="salesforce", id=conversion.opportunity_id, name="Deal", amount=None, currency="", close_date=None
    )

    assert deal_won_record(lead=customer, deal=deal) is not None
    assert deal_won_record(lead=customer, deal=deal) is None

    assert SyncJob.objects.filter(event="deal.won").count() == 1


def test_notes_and_edits_on_open_leads_are_not_events(all_events_target):
    lead = LeadFactory()
    lead_event_record(lead=lead, kind=LeadEvent.Kind.NOTE, actor="rep", reason="Called, no answer.")

    assert not SyncJob.objects.exists()
