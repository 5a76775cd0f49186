import pytest
from django.core.exceptions import ValidationError
from django.db import DataError, IntegrityError, transaction

from leadflow.leads import services
from leadflow.leads.models import Lead, LeadEvent


def test_validated_lead_is_stored_with_its_audit_event_and_pending_checks(db):
    lead = services.lead_create(actor="form:abc", source="website", validated=True, email="anna@example.nl")
    assert Lead.objects.get(pk=lead.pk).checks_due_at is not None
    assert LeadEvent.objects.get(lead=lead).kind == LeadEvent.Kind.CREATED


def test_unvalidated_lead_with_an_overlong_field_is_refused(db):
    with pytest.raises(ValidationError) as refused:
        services.lead_create(actor=None, first_name="x" * 101)
    assert "first_name" in refused.value.message_dict
    assert not Lead.objects.exists()


def test_validated_lead_with_a_taken_external_id_is_refused_by_the_unique_index(db):
    services.lead_create(actor=None, source="crm", external_id="4711", validated=True)
    with pytest.raises(IntegrityError), transaction.atomic():  # no SELECT first: the INSERT itself is refused
        services.lead_create(actor=None, source="crm", external_id="4711", validated=True)
    assert Lead.objects.count() == 1


@pytest.mark.postgres
def test_database_still_enforces_field_limits_on_a_validated_lead(db):
    with pytest.raises(DataError), transaction.atomic():  # value too long for varchar(100)
        services.lead_create(actor=None, validated=True, first_name="x" * 101)
    assert not Lead.objects.exists()
