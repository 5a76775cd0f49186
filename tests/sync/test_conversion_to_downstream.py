"""The whole way: a qualified lead converted in the Salesforce sandbox reaches a webhook and Exact Online."""

import pytest

from leadflow.crm import services as crm
from leadflow.crm.models import Conversion, ConversionStatus
from leadflow.integrations.webhook.target import SIGNATURE_HEADER
from leadflow.leads.models import LeadState
from leadflow.sync.models import JobState, SyncJob
from tests.factories import LeadFactory
from tests.integrations.webhook.test_delivery import verify
from tests.sync.factories import ExactTargetFactory, WebhookTargetFactory, exact_connect

# Not transactional: the crm field mappings come from a data migration that transactional tests flush.
pytestmark = pytest.mark.django_db


@pytest.mark.usefixtures("salesforce")
def test_converted_lead_reaches_the_webhook_and_exact_with_its_salesforce_account_id(
    salesforce_sandbox, exact_settings, exact_standin, receiver, django_capture_on_commit_callbacks
):
    WebhookTargetFactory(settings={"url": receiver.url, "secret": "s3cret", "events": ["customer.converted"]})
    exact_connect(exact_standin, ExactTargetFactory())
    lead = LeadFactory(
        state=LeadState.QUALIFIED,
        company="Acme Trading B.V.",
        vat_number="NL123456789B01",
        registration_number="12345678",
    )

    with django_capture_on_commit_callbacks(execute=True):  # What a commit would publish, run as a worker would.
        crm.lead_convert_request(lead=lead, actor="tests")
        crm.lead_convert_run(lead_id=lead.pk)

    conversion = Conversion.objects.get(lead=lead)
    assert conversion.status == ConversionStatus.DONE, conversion.last_error
    [account] = salesforce_sandbox.records("Account")
    assert conversion.account_id == account["Id"]
    assert set(SyncJob.objects.values_list("state", flat=True)) == {JobState.DONE}
    [request] = receiver.received
    assert verify("s3cret", request.headers[SIGNATURE_HEADER], request.body)
    assert request.json["salesforce"]["account_id"] == account["Id"]
    [debtor] = exact_standin.accounts()
    assert debtor["Code"] == account["Id"]
    assert debtor["ChamberOfCommerce"] == "12345678"
