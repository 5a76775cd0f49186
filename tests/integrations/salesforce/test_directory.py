import pytest

from leadflow.core.exceptions import ExternalServiceError
from leadflow.integrations.salesforce.directory import SalesforceDirectory
from leadflow.quality.remote import RemoteQuery

pytestmark = pytest.mark.django_db


@pytest.fixture
def org(salesforce):
    sf = salesforce.client()
    account = sf.Account.create(
        {"Name": "Acme Trading B.V.", "Website": "https://www.acme-trading.nl", "VAT_Number__c": "NL123456789B01"}
    )["id"]
    sf.Account.create({"Name": "Acme-Tradingpost Ltd", "Website": "https://acme-tradingpost.co.uk"})
    sf.Contact.create(
        {"FirstName": "Anna", "LastName": "de Vries", "Email": "anna@acme-trading.nl", "AccountId": account}
    )
    sf.Lead.create(
        {"LastName": "Jansen", "Company": "Jansen Bouw", "Phone": "+31201234567", "Website": "jansenbouw.nl"}
    )
    return salesforce


def search(**query):
    return {(r.sobject, r.label) for r in SalesforceDirectory().search(query=RemoteQuery(**query))}


def test_contact_is_found_by_email_with_leadflow_field_names(org):
    [record] = SalesforceDirectory().search(query=RemoteQuery(emails=("anna@acme-trading.nl",)))

    assert (record.sobject, record.label) == ("Contact", "Anna de Vries")
    assert record.fields["email"] == "anna@acme-trading.nl"


def test_account_is_found_by_domain_not_by_a_domain_that_merely_contains_it(org):
    assert search(domains=("acme-trading.nl",)) == {("Account", "Acme Trading B.V.")}


def test_account_is_found_by_vat_number_and_by_normalised_name(org):
    assert search(vat_numbers=("NL123456789B01",)) == {("Account", "Acme Trading B.V.")}
    assert search(company_names=("ACME trading bv",)) == {("Account", "Acme Trading B.V.")}


def test_salesforce_lead_is_found_by_phone_or_company(org):
    assert search(phones=("+31201234567",)) == {("Lead", "Jansen (Jansen Bouw)")}
    assert search(company_names=("Jansen Bouw",)) == {("Lead", "Jansen (Jansen Bouw)")}


def test_one_search_is_one_api_call_and_quotes_in_values_are_harmless(org):
    calls = org.api_calls

    found = search(emails=("x'; DELETE",), company_names=("O'Brien",), domains=("o'brien.nl",), phones=("+31",))

    assert found == set()
    assert org.api_calls == calls + 1


def test_empty_query_asks_salesforce_nothing(org):
    calls = org.api_calls

    assert SalesforceDirectory().search(query=RemoteQuery()) == []
    assert org.api_calls == calls


def test_unreachable_salesforce_raises_a_transient_error(org):
    org.fail_next("unavailable")

    with pytest.raises(ExternalServiceError) as raised:
        SalesforceDirectory().search(query=RemoteQuery(emails=("anna@acme-trading.nl",)))

    assert not raised.value.permanent
