"""Conversion against the local Salesforce sandbox over real HTTP: outcomes, idempotency and every fault."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import transaction
from django.utils import timezone

from leadflow.core.exceptions import TransitionBlocked, TransitionNotAllowed
from leadflow.crm import services
from leadflow.crm.models import Conversion, ConversionStatus
from leadflow.crm.targets import DOES_NOT_FIT
from leadflow.integrations.salesforce.client import org_cache
from leadflow.integrations.salesforce.models import FieldMapping, OpportunitySettings, RecordAction
from leadflow.integrations.salesforce.payload import ConversionPlanner, Deal
from leadflow.leads.gates import Gate
from leadflow.leads.models import LeadEvent, LeadState
from leadflow.leads.services import lead_transition
from tests.factories import LeadFactory

pytestmark = pytest.mark.django_db


def convert(lead, actor="tests"):
    """Request and run a conversion the way the worker does; returns the stored conversion."""
    services.lead_convert_request(lead=lead, actor=actor)
    services.lead_convert_run(lead_id=lead.pk)
    return Conversion.objects.get(lead=lead)


def run_again_when_due(lead):
    """Let the retry's backoff pass and run the task again, as the sweeper would."""
    Conversion.objects.filter(lead=lead).update(next_attempt_at=timezone.now())
    services.lead_convert_run(lead_id=lead.pk)
    return Conversion.objects.get(lead=lead)


@pytest.fixture
def after_lookup(monkeypatch):
    """Do something once, between a conversion's lookup call and its write call (a fault arriving mid-run)."""

    def arm(action):
        original = ConversionPlanner.plan

        def plan_then_act(self, items):
            plans = original(self, items)
            monkeypatch.setattr(ConversionPlanner, "plan", original)
            action()
            return plans

        monkeypatch.setattr(ConversionPlanner, "plan", plan_then_act)

    return arm


def test_qualified_lead_becomes_one_account_contact_and_opportunity_with_mapped_values(salesforce, qualified_lead):
    conversion = convert(qualified_lead)

    qualified_lead.refresh_from_db()
    [account] = salesforce.records("Account")
    [contact] = salesforce.records("Contact")
    [opportunity] = salesforce.records("Opportunity")
    assert qualified_lead.state == LeadState.CONVERTED
    assert conversion.status == ConversionStatus.DONE
    assert (conversion.account_id, conversion.contact_id, conversion.opportunity_id) == (
        account["Id"],
        contact["Id"],
        opportunity["Id"],
    )
    assert conversion.account_action == conversion.contact_action == RecordAction.CREATED
    assert (account["Name"], account["Website"], account["VAT_Number__c"], account["KvK_Number__c"]) == (
        "Acme Trading B.V.",
        "https://www.acme-trading.nl",
        "NL123456789B01",
        "12345678",
    )
    assert (contact["FirstName"], contact["LastName"], contact["Email"], contact["Title"]) == (
        "Anna",
        "de Vries",
        "anna@acme-trading.nl",
        "Inkoper",
    )
    assert contact["AccountId"] == opportunity["AccountId"] == account["Id"]
    assert (opportunity["Name"], opportunity["StageName"]) == ("Acme Trading B.V.", "Prospecting")
    assert opportunity["CloseDate"] == (timezone.localdate() + timedelta(days=30)).isoformat()
    assert conversion.api_calls == 3 == salesforce.api_calls  # describe (kept for an hour), lookup, write


def test_conversion_is_audited_with_the_salesforce_ids(salesforce, qualified_lead, staff_user):
    conversion = convert(qualified_lead, actor=staff_user)

    event = qualified_lead.events.filter(kind=LeadEvent.Kind.CONVERSION).last()
    transition = qualified_lead.events.get(kind=LeadEvent.Kind.TRANSITION, transition="convert")
    assert event.data["account_id"] == conversion.account_id
    assert event.actor == transition.actor == staff_user


def test_opportunity_follows_the_admin_settings(salesforce, qualified_lead):
    OpportunitySettings.objects.filter(pk=1).update(
        name_pattern="{company} - {last_name}",
        stage_name="Qualification",
        close_date_offset_days=10,
        amount_lead_field="custom_fields.budget",
    )
    qualified_lead.custom_fields = {"budget": "12500.50"}
    qualified_lead.save()

    convert(qualified_lead)

    [opportunity] = salesforce.records("Opportunity")
    assert opportunity["Name"] == "Acme Trading B.V. - de Vries"
    assert opportunity["StageName"] == "Qualification"
    assert opportunity["CloseDate"] == (timezone.localdate() + timedelta(days=10)).isoformat()
    assert opportunity["Amount"] == 12500.5


def test_no_opportunity_is_created_when_the_settings_say_so(salesforce, qualified_lead):
    OpportunitySettings.objects.filter(pk=1).update(create_opportunity=False)

    conversion = convert(qualified_lead)

    assert salesforce.records("Opportunity") == []
    assert conversion.opportunity_action == RecordAction.SKIPPED
    assert conversion.status == ConversionStatus.DONE


def test_value_too_long_for_the_org_stops_the_conversion_before_any_write_naming_both_fields(
    salesforce, qualified_lead
):
    qualified_lead.email = "anna.maria.theresia.josephina.wilhelmina.devries.vanoranje@acme-trading-group.com"
    qualified_lead.save()
    assert len(qualified_lead.email) == 81  # valid; Salesforce's Contact.Email holds 80

    plan = services.lead_conversion_preview(lead=qualified_lead)
    conversion = convert(qualified_lead)

    assert plan.problems == [
        "Email does not fit Salesforce Contact.Email: 81 characters, at most 80 fit.",
    ]
    assert (conversion.status, conversion.error_code) == (ConversionStatus.FAILED, DOES_NOT_FIT)
    assert "Contact.Email" in conversion.last_error and "81 characters" in conversion.last_error
    assert salesforce.stats()["calls_by_endpoint"].get("POST /composite/graph") is None
    assert salesforce.records("Account") == salesforce.records("Contact") == []


@pytest.mark.parametrize(
    ("registration_number", "fits"),
    [("0403.019.261", True), ("München HRB 123456", True), ("Amtsgericht München HRB 123456", False)],
)
def test_registration_numbers_are_sent_whole_or_not_at_all(salesforce, qualified_lead, registration_number, fits):
    qualified_lead.registration_number = registration_number
    qualified_lead.save()

    conversion = convert(qualified_lead)

    accounts = salesforce.records("Account")
    if fits:
        assert [account["KvK_Number__c"] for account in accounts] == [registration_number]
    else:
        assert accounts == []
        assert "Registration number does not fit Salesforce Account.KvK_Number__c" in conversion.last_error


def test_opportunity_name_from_the_pattern_is_never_cut(salesforce, qualified_lead):
    qualified_lead.company = "The Very Long Name Of A Dutch Trading Company In Agricultural Machinery Parts " * 2
    qualified_lead.save()

    plan = services.lead_conversion_preview(lead=qualified_lead)

    assert plan.opportunity.values["Name"] == qualified_lead.company.strip()
    assert any("Salesforce Opportunity.Name" in problem for problem in plan.problems)


def test_mapped_field_the_org_lacks_is_left_out_and_named_in_the_preview(salesforce, qualified_lead):
    FieldMapping.objects.create(sobject="Account", lead_field="city", salesforce_field="Region__c")

    plan = services.lead_conversion_preview(lead=qualified_lead)
    conversion = convert(qualified_lead)

    assert plan.unknown_fields == ["Account.Region__c"]
    assert "Region__c" not in plan.account.values
    assert conversion.status == ConversionStatus.DONE


def test_custom_field_mapping_sends_a_value_from_the_leads_custom_fields(salesforce, qualified_lead):
    salesforce.configure(custom_fields=[{"sobject": "Contact", "name": "Newsletter__c", "length": 10}])
    FieldMapping.objects.create(
        sobject="Contact", lead_field="custom_fields.newsletter", salesforce_field="Newsletter__c"
    )
    qualified_lead.custom_fields = {"newsletter": "weekly"}
    qualified_lead.save()

    convert(qualified_lead)

    assert salesforce.records("Contact")[0]["Newsletter__c"] == "weekly"


def test_lead_that_is_not_qualified_cannot_be_converted(salesforce):
    lead = LeadFactory(state=LeadState.VALIDATED)

    with pytest.raises(TransitionNotAllowed):
        services.lead_convert_request(lead=lead, actor="tests")

    assert not Conversion.objects.exists()


class HeldByFinanceGate(Gate):
    name = "finance"

    def reasons(self, *, lead):
        return ["Finance has not approved this customer."]


def test_requesting_a_conversion_leaves_the_lead_qualified_until_salesforce_holds_the_records(qualified_lead):
    conversion = services.lead_convert_request(lead=qualified_lead, actor="tests")

    qualified_lead.refresh_from_db()
    assert qualified_lead.state == LeadState.QUALIFIED
    assert not conversion.committed


def test_convert_gates_in_settings_refuse_the_request_with_their_reasons(qualified_lead, settings):
    settings.LEADFLOW_GATES = {**settings.LEADFLOW_GATES, "convert": [f"{__name__}.HeldByFinanceGate"]}

    with pytest.raises(TransitionBlocked) as refused:
        services.lead_convert_request(lead=qualified_lead, actor="tests")

    assert refused.value.full_message == (
        f"Cannot convert lead {qualified_lead.pk} yet. Finance has not approved this customer."
    )
    assert not Conversion.objects.exists()


def test_asking_again_while_pending_keeps_the_one_conversion(qualified_lead):
    first = services.lead_convert_request(lead=qualified_lead, actor="tests")
    second = services.lead_convert_request(lead=qualified_lead, actor="tests")

    assert first.pk == second.pk
    assert Conversion.objects.count() == 1


def test_running_the_task_twice_converts_once(salesforce, qualified_lead):
    convert(qualified_lead)
    calls = salesforce.api_calls

    assert services.lead_convert_run(lead_id=qualified_lead.pk) is None
    assert salesforce.api_calls == calls
    assert len(salesforce.records("Account")) == 1


def test_preview_shows_what_will_be_created_without_writing(salesforce, qualified_lead):
    plan = services.lead_conversion_preview(lead=qualified_lead)

    assert [record.action for record in plan.records] == [RecordAction.CREATED] * 3
    assert plan.account.values["Name"] == "Acme Trading B.V."
    assert salesforce.records("Account") == []
    assert not Conversion.objects.exists()


@pytest.mark.parametrize(
    ("existing", "reason"),
    [
        ({"Name": "Something Else", "VAT_Number__c": "nl123456789b01"}, "same VAT number"),
        ({"Name": "Something Else", "KvK_Number__c": "12345678"}, "same chamber of commerce number"),
        ({"Name": "Something Else", "Website": "http://acme-trading.nl/contact"}, "same website domain"),
        ({"Name": "ACME trading bv"}, "same company name"),
    ],
)
def test_existing_account_is_linked_instead_of_created(salesforce, qualified_lead, existing, reason):
    account_id = salesforce.client().Account.create(existing)["id"]

    plan = services.lead_conversion_preview(lead=qualified_lead)
    conversion = convert(qualified_lead)

    assert (plan.account.action, plan.account.record_id, plan.account.reason) == (
        RecordAction.LINKED,
        account_id,
        reason,
    )
    assert len(salesforce.records("Account")) == 1
    assert conversion.account_id == account_id
    assert conversion.account_action == RecordAction.LINKED
    assert salesforce.records("Contact")[0]["AccountId"] == account_id


def test_unrelated_account_with_a_similar_name_is_not_linked(salesforce, qualified_lead):
    salesforce.client().Account.create({"Name": "Acme Trading Holding International"})

    plan = services.lead_conversion_preview(lead=qualified_lead)

    assert plan.account.action == RecordAction.CREATED


def test_existing_contact_with_the_same_email_is_linked_with_its_account(salesforce, qualified_lead):
    sf = salesforce.client()
    account_id = sf.Account.create({"Name": "Acme Holding"})["id"]
    contact_id = sf.Contact.create({"LastName": "Vries", "Email": "ANNA@acme-trading.nl", "AccountId": account_id})[
        "id"
    ]

    conversion = convert(qualified_lead)

    assert (conversion.contact_id, conversion.contact_action) == (contact_id, RecordAction.LINKED)
    assert (conversion.account_id, conversion.account_action) == (account_id, RecordAction.LINKED)
    assert len(salesforce.records("Contact")) == 1
    assert salesforce.records("Opportunity")[0]["AccountId"] == account_id


# Faults: each ends in the documented state, with nothing lost and nothing doubled.


def test_unavailable_salesforce_is_retried_with_backoff_then_converts(salesforce, qualified_lead):
    salesforce.fail_next("unavailable")

    waiting = convert(qualified_lead)
    qualified_lead.refresh_from_db()

    assert waiting.status == ConversionStatus.REQUESTED
    assert waiting.next_attempt_at > timezone.now()
    assert "unavailable" in waiting.last_error
    assert qualified_lead.state == LeadState.QUALIFIED

    done = run_again_when_due(qualified_lead)

    assert done.status == ConversionStatus.DONE
    assert done.attempts == 2
    assert done.last_error == ""
    assert len(salesforce.records("Account")) == 1


def test_row_lock_contention_is_retried(salesforce, qualified_lead):
    salesforce.fail_next("unable_to_lock_row")

    waiting = convert(qualified_lead)
    done = run_again_when_due(qualified_lead)

    assert (waiting.status, waiting.error_code) == (ConversionStatus.REQUESTED, "UNABLE_TO_LOCK_ROW")
    assert done.status == ConversionStatus.DONE
    assert len(salesforce.records("Contact")) == 1


def test_session_expiring_mid_run_is_renewed_and_the_conversion_completes(salesforce, qualified_lead, after_lookup):
    after_lookup(salesforce.expire_sessions)

    conversion = convert(qualified_lead)

    assert conversion.status == ConversionStatus.DONE
    assert len(salesforce.records("Opportunity")) == 1


def test_response_lost_after_commit_is_retried_without_duplicates(salesforce, qualified_lead, after_lookup, settings):
    settings.SALESFORCE_TIMEOUT = 1
    after_lookup(lambda: salesforce.fail_next("timeout_after_commit", seconds=2, path_contains="/composite"))

    lost = convert(qualified_lead)
    qualified_lead.refresh_from_db()

    assert lost.status == ConversionStatus.REQUESTED
    assert qualified_lead.state == LeadState.QUALIFIED  # Salesforce committed, but nobody told us
    assert len(salesforce.records("Account")) == 1

    done = run_again_when_due(qualified_lead)

    assert done.status == ConversionStatus.DONE, done.last_error
    assert done.account_action == done.contact_action == RecordAction.CREATED
    [account], [contact], [opportunity] = (salesforce.records(o) for o in ("Account", "Contact", "Opportunity"))
    assert (done.account_id, done.contact_id, done.opportunity_id) == (account["Id"], contact["Id"], opportunity["Id"])


def test_exhausted_api_quota_waits_without_hammering_until_the_budget_returns(salesforce, qualified_lead):
    salesforce.fail_next("limit_exceeded")

    waiting = convert(qualified_lead)

    assert waiting.status == ConversionStatus.REQUESTED
    assert waiting.error_code == "REQUEST_LIMIT_EXCEEDED"
    assert waiting.next_attempt_at > timezone.now() + timedelta(minutes=10)

    calls = salesforce.api_calls
    held_back = run_again_when_due(qualified_lead)

    assert salesforce.api_calls == calls  # the remembered budget says no: not even one call
    assert held_back.status == ConversionStatus.REQUESTED
    assert "quota" in held_back.last_error


def test_conversion_proceeds_once_the_quota_is_reported_free_again(salesforce, qualified_lead):
    salesforce.configure(api_limit=1000, api_used=990)
    services.lead_conversion_preview(lead=qualified_lead)  # Salesforce reports 9 calls left: below the reserve
    calls = salesforce.api_calls

    held_back = convert(qualified_lead)
    assert salesforce.api_calls == calls
    salesforce.configure(api_used=0)
    org_cache().clear()  # the remembered figure expires (BUDGET_TTL_SECONDS); the next answer brings the new one
    done = run_again_when_due(qualified_lead)

    assert held_back.status == ConversionStatus.REQUESTED
    assert done.status == ConversionStatus.DONE


def test_blocking_duplicate_rule_leaves_the_lead_qualified_with_salesforces_message(salesforce, qualified_lead):
    salesforce.fail_next("duplicates_detected")

    failed = convert(qualified_lead)
    qualified_lead.refresh_from_db()

    assert failed.status == ConversionStatus.FAILED
    assert failed.error_code == "DUPLICATES_DETECTED"
    assert "Use one of these records?" in failed.last_error
    assert qualified_lead.state == LeadState.QUALIFIED
    assert salesforce.records("Account") == salesforce.records("Contact") == []
    assert qualified_lead.events.filter(kind=LeadEvent.Kind.CONVERSION, reason__contains="failed").exists()


@pytest.mark.parametrize(("action", "status"), [("alert", ConversionStatus.DONE), ("block", ConversionStatus.FAILED)])
def test_duplicate_rules_that_alert_let_the_conversion_through_and_rules_that_block_stop_it(
    salesforce, qualified_lead, action, status
):
    salesforce.client().Contact.create({"LastName": "de Vries", "Email": "other@elsewhere.nl"})
    salesforce.configure(duplicate_rules=[{"sobject": "Contact", "fields": ["LastName"], "action": action}])

    conversion = convert(qualified_lead)

    assert conversion.status == status
    assert len(salesforce.records("Contact")) == (2 if status == ConversionStatus.DONE else 1)


def test_required_field_the_org_describes_is_named_before_sending_then_converts_once_mapped(salesforce, qualified_lead):
    salesforce.configure(custom_fields=[{"sobject": "Account", "name": "Region__c", "required": True}])

    failed = convert(qualified_lead)

    assert failed.status == ConversionStatus.FAILED
    assert failed.error_code == DOES_NOT_FIT
    assert "Salesforce requires Account.Region__c" in failed.last_error
    assert salesforce.records("Account") == []

    FieldMapping.objects.create(sobject="Account", lead_field="city", salesforce_field="Region__c")
    done = convert(qualified_lead)

    assert done.status == ConversionStatus.DONE
    assert salesforce.records("Account")[0]["Region__c"] == "Utrecht"


def test_validation_rule_the_describe_cannot_show_fails_with_salesforces_message(salesforce, qualified_lead):
    salesforce.configure(
        custom_fields=[{"sobject": "Account", "name": "Region__c", "validation_message": "Region is required"}]
    )

    failed = convert(qualified_lead)

    assert (failed.status, failed.error_code) == (ConversionStatus.FAILED, "FIELD_CUSTOM_VALIDATION_EXCEPTION")
    assert failed.last_error == "Salesforce refused the Account: Region is required"


def test_transient_errors_give_up_after_the_maximum_attempts(salesforce, qualified_lead, settings):
    settings.LEADFLOW_CONVERSION_MAX_ATTEMPTS = 2
    salesforce.fail_next("unavailable", times=2)

    convert(qualified_lead)
    failed = run_again_when_due(qualified_lead)

    assert failed.status == ConversionStatus.FAILED
    assert failed.attempts == 2


def test_lead_rejected_while_queued_is_not_sent_to_salesforce(salesforce, qualified_lead):
    services.lead_convert_request(lead=qualified_lead, actor="tests")
    lead_transition(lead=qualified_lead, name="reject", actor="tests", rejection_reason="Spam")

    services.lead_convert_run(lead_id=qualified_lead.pk)

    assert Conversion.objects.get().status == ConversionStatus.FAILED
    assert salesforce.api_calls == 0


# Hooks and the sweeper


def record_hook_call(*, lead, conversion):
    record_hook_call.calls.append((lead.state, conversion.account_id, transaction.get_connection().in_atomic_block))


def failing_hook(*, lead, conversion):
    raise RuntimeError("outbox unavailable")


def test_conversion_hooks_run_inside_the_transaction_that_marks_the_lead_converted(
    salesforce, qualified_lead, settings
):
    settings.LEADFLOW_CONVERSION_HOOKS = ["tests.crm.test_lead_convert.record_hook_call"]
    record_hook_call.calls = []

    conversion = convert(qualified_lead)

    assert record_hook_call.calls == [(LeadState.CONVERTED, conversion.account_id, True)]


def test_failing_hook_rolls_the_state_change_back_and_the_retry_does_not_duplicate(
    salesforce, qualified_lead, settings
):
    settings.LEADFLOW_CONVERSION_HOOKS = ["tests.crm.test_lead_convert.failing_hook"]

    with pytest.raises(RuntimeError):
        convert(qualified_lead)
    qualified_lead.refresh_from_db()

    assert qualified_lead.state == LeadState.QUALIFIED
    assert Conversion.objects.get().status == ConversionStatus.IN_PROGRESS
    assert services.conversions_requeue_due(stuck_after_seconds=0) == [qualified_lead.pk]

    settings.LEADFLOW_CONVERSION_HOOKS = []
    services.lead_convert_run(lead_id=qualified_lead.pk)
    qualified_lead.refresh_from_db()

    assert qualified_lead.state == LeadState.CONVERTED
    assert len(salesforce.records("Account")) == 1


def test_sweeper_picks_up_due_retries_and_requests_nobody_ran(qualified_lead):
    services.lead_convert_request(lead=qualified_lead, actor="tests")
    fresh = LeadFactory(state=LeadState.QUALIFIED)
    services.lead_convert_request(lead=fresh, actor="tests")
    Conversion.objects.filter(lead=qualified_lead).update(requested_at=timezone.now() - timedelta(minutes=5))

    assert services.conversions_requeue_due(stuck_after_seconds=300) == [qualified_lead.pk]


# Bulk


def test_bulk_conversion_of_200_leads_costs_at_most_a_tenth_of_an_api_call_per_lead(salesforce):
    leads = [LeadFactory(state=LeadState.QUALIFIED, company=f"Company {n}") for n in range(200)]

    services.leads_convert_request(leads=leads, actor="tests")
    services.leads_convert_run(lead_ids=[lead.pk for lead in leads])

    assert Conversion.objects.filter(status=ConversionStatus.DONE).count() == 200
    assert len(salesforce.records("Account")) == len(salesforce.records("Contact")) == 200
    assert salesforce.api_calls / 200 <= 0.1


def test_one_refused_lead_in_a_bulk_does_not_roll_back_the_others(salesforce):
    good = LeadFactory.create_batch(3, state=LeadState.QUALIFIED)
    bad = LeadFactory(state=LeadState.QUALIFIED, last_name="")

    services.leads_convert_request(leads=[*good, bad], actor="tests")
    services.leads_convert_run(lead_ids=[lead.pk for lead in [*good, bad]])

    statuses = dict(Conversion.objects.values_list("lead_id", "status"))
    assert [statuses[lead.pk] for lead in good] == [ConversionStatus.DONE] * 3
    assert statuses[bad.pk] == ConversionStatus.FAILED
    assert "LastName" in Conversion.objects.get(lead=bad).last_error
    assert len(salesforce.records("Contact")) == 3


def test_leads_of_one_new_company_in_a_bulk_share_one_account(salesforce):
    colleagues = [
        LeadFactory(state=LeadState.QUALIFIED, company="Globex B.V.", website="globex.nl", email=f"p{n}@globex.nl")
        for n in range(3)
    ]

    services.leads_convert_request(leads=colleagues, actor="tests")
    services.leads_convert_run(lead_ids=[lead.pk for lead in colleagues])

    [account] = salesforce.records("Account")
    assert {c["AccountId"] for c in salesforce.records("Contact")} == {account["Id"]}
    assert list(Conversion.objects.values_list("account_action", flat=True).order_by("lead_id")) == [
        RecordAction.CREATED,
        RecordAction.LINKED,
        RecordAction.LINKED,
    ]


def test_bulk_above_75_leads_is_sent_in_requests_of_at_most_75_graphs(salesforce):
    leads = [LeadFactory(state=LeadState.QUALIFIED, company=f"Company {n}") for n in range(160)]

    services.leads_convert_request(leads=leads, actor="tests")
    services.leads_convert_run(lead_ids=[lead.pk for lead in leads])

    # The sandbox refuses a request of more than 75 graphs whole (LIMIT_EXCEEDED), as Salesforce does.
    assert Conversion.objects.filter(status=ConversionStatus.DONE).count() == 160
    assert salesforce.stats()["calls_by_endpoint"]["POST /composite/graph"] == 3


def test_graphs_salesforce_halted_after_too_many_failures_are_retried_and_only_the_refused_leads_fail(salesforce):
    salesforce.configure(duplicate_rules=[{"sobject": "Contact", "fields": ["Phone"], "action": "block"}])
    sf = salesforce.client()
    refused = []
    for n in range(15):
        phone = f"+3120555{n:04d}"
        sf.Contact.create({"LastName": f"Existing {n}", "Phone": phone})
        refused.append(LeadFactory(state=LeadState.QUALIFIED, company=f"Refused {n}", phone=phone))
    valid = [LeadFactory(state=LeadState.QUALIFIED, company=f"Valid {n}", phone="") for n in range(5)]

    services.leads_convert_request(leads=[*refused, *valid], actor="tests")
    services.leads_convert_run(lead_ids=[lead.pk for lead in [*refused, *valid]])

    statuses = dict(Conversion.objects.values_list("lead_id", "status"))
    assert [statuses[lead.pk] for lead in refused] == [ConversionStatus.FAILED] * 15
    assert [statuses[lead.pk] for lead in valid] == [ConversionStatus.DONE] * 5
    assert set(Conversion.objects.filter(status=ConversionStatus.FAILED).values_list("error_code", flat=True)) == {
        "DUPLICATES_DETECTED"
    }
    assert salesforce.stats()["calls_by_endpoint"]["POST /composite/graph"] == 2  # the halted ones, once more


@pytest.mark.parametrize(
    ("in_salesforce", "on_the_lead"),
    [("NL 9521.02.328.B01", "NL952102328B01"), ("NL952102328B01", "nl 9521 02 328 b01")],
)
def test_existing_account_with_the_vat_number_formatted_differently_is_linked(
    salesforce, qualified_lead, in_salesforce, on_the_lead
):
    existing = salesforce.client().Account.create({"Name": "Other name entirely", "VAT_Number__c": in_salesforce})
    qualified_lead.vat_number = on_the_lead
    qualified_lead.save()

    conversion = convert(qualified_lead)

    assert (conversion.account_id, conversion.account_action) == (existing["id"], RecordAction.LINKED)
    assert len(salesforce.records("Account")) == 1


def test_enterprise_number_with_dots_matches_the_same_number_without(salesforce, qualified_lead):
    existing = salesforce.client().Account.create({"Name": "Brussels NV", "KvK_Number__c": "0403019261"})
    qualified_lead.registration_number = "0403.019.261"
    qualified_lead.save()

    plan = services.lead_conversion_preview(lead=qualified_lead)

    assert (plan.account.record_id, plan.account.reason) == (existing["id"], "same chamber of commerce number")


def test_opportunity_gets_the_contact_as_its_primary_contact_role(salesforce, qualified_lead):
    conversion = convert(qualified_lead)

    [role] = salesforce.records("OpportunityContactRole")
    assert (role["OpportunityId"], role["ContactId"], role["IsPrimary"]) == (
        conversion.opportunity_id,
        conversion.contact_id,
        True,
    )


def test_retry_after_a_lost_answer_does_not_add_a_second_contact_role(salesforce, qualified_lead, after_lookup):
    after_lookup(lambda: salesforce.fail_next("timeout_after_commit", path_contains="/composite"))

    lost = convert(qualified_lead)
    done = run_again_when_due(qualified_lead)

    assert (lost.error_code, done.status) == ("ANSWER_LOST", ConversionStatus.DONE)
    assert len(salesforce.records("Opportunity")) == len(salesforce.records("OpportunityContactRole")) == 1


def test_existing_contact_without_an_account_joins_the_account_the_conversion_creates(salesforce, qualified_lead):
    loose = salesforce.client().Contact.create({"LastName": "de Vries", "Email": qualified_lead.email})

    conversion = convert(qualified_lead)

    [contact] = salesforce.records("Contact")
    assert (conversion.contact_id, conversion.contact_action) == (loose["id"], RecordAction.LINKED)
    assert contact["AccountId"] == conversion.account_id


def test_existing_customer_gets_a_new_opportunity_and_only_their_empty_fields_filled(salesforce, qualified_lead):
    sf = salesforce.client()
    account = sf.Account.create({"Name": "Acme Trading B.V.", "Website": "https://www.acme-trading.nl"})
    contact = sf.Contact.create(
        {
            "LastName": "de Vries",
            "FirstName": "Anna",
            "Email": qualified_lead.email,
            "Title": "CFO",
            "AccountId": account["id"],
        }
    )
    sf.Opportunity.create(
        {"Name": "First deal", "StageName": "Closed Won", "CloseDate": "2025-01-31", "AccountId": account["id"]}
    )

    conversion = convert(qualified_lead)

    [stored_account], [stored_contact] = salesforce.records("Account"), salesforce.records("Contact")
    assert (conversion.account_id, conversion.contact_id) == (account["id"], contact["id"])
    assert stored_contact["Title"] == "CFO"  # what Salesforce holds is kept
    assert stored_contact["MailingCity"] == "Utrecht"  # an empty field is filled
    assert stored_account["VAT_Number__c"] == "NL123456789B01"
    opportunities = salesforce.records("Opportunity")
    assert len(opportunities) == 2
    assert opportunities[1]["AccountId"] == account["id"]
    assert opportunities[1]["Description"] == "We need 40 licences."
    assert opportunities[1]["LeadSource"] == qualified_lead.source  # the enquiry's source stays on the deal


def test_stage_the_org_does_not_have_is_named_in_the_preview_and_nothing_is_sent(salesforce, qualified_lead):
    OpportunitySettings.objects.filter(pk=1).update(stage_name="Signed")

    plan = services.lead_conversion_preview(lead=qualified_lead)
    conversion = convert(qualified_lead)

    assert any("Salesforce Opportunity.StageName" in problem and "Signed" in problem for problem in plan.problems)
    assert conversion.error_code == DOES_NOT_FIT
    assert salesforce.records("Account") == []


def test_deal_set_by_the_person_converting_wins_over_the_defaults(salesforce, qualified_lead):
    deal = Deal(
        create_opportunity=True,
        name="40 licences",
        amount=Decimal("12000"),
        close_date=date(2027, 3, 31),
        stage="Negotiation/Review",
    )
    services.lead_convert_request(lead=qualified_lead, actor="tests", deal=deal)
    services.lead_convert_run(lead_id=qualified_lead.pk)

    [opportunity] = salesforce.records("Opportunity")
    assert (opportunity["Name"], opportunity["Amount"], opportunity["CloseDate"], opportunity["StageName"]) == (
        "40 licences",
        12000.0,
        "2027-03-31",
        "Negotiation/Review",
    )


def test_converting_without_an_opportunity_creates_only_account_and_contact(salesforce, qualified_lead):
    services.lead_convert_request(lead=qualified_lead, actor="tests", deal=Deal(create_opportunity=False))
    conversion = services.lead_convert_run(lead_id=qualified_lead.pk)

    assert conversion.opportunity_action == RecordAction.SKIPPED
    assert salesforce.records("Opportunity") == salesforce.records("OpportunityContactRole") == []
    assert len(salesforce.records("Contact")) == 1


def test_lost_answer_and_row_lock_are_told_apart_from_an_unreachable_org(salesforce, qualified_lead, after_lookup):
    after_lookup(lambda: salesforce.fail_next("timeout_after_commit", path_contains="/composite"))
    lost = convert(qualified_lead)
    salesforce.fail_next("unable_to_lock_row")
    locked = run_again_when_due(qualified_lead)

    assert lost.last_error.startswith("The connection to Salesforce broke before its answer arrived")
    assert "may have carried out" in lost.last_error and "Connection aborted" not in lost.last_error
    assert locked.last_error.startswith("Salesforce was busy writing to the same records (row lock")
    assert "unavailable" not in locked.last_error


def test_token_and_describe_are_kept_for_every_process_in_the_database(salesforce, qualified_lead):
    from django.db import connection

    services.lead_conversion_preview(lead=qualified_lead)
    calls = salesforce.api_calls
    services.lead_conversion_preview(lead=qualified_lead)

    assert salesforce.api_calls == calls + 1  # the lookup only: no describe, no token request
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM leadflow_salesforce_cache")
        assert cursor.fetchone()[0] >= 4  # token, budget, three describes
