import pytest

from leadflow.quality.models import RequiredFieldRule, Severity
from leadflow.quality.validators import (
    CompanyNameValidator,
    CountryValidator,
    EmailValidator,
    PersonNameValidator,
    PhoneValidator,
    PostcodeValidator,
    RegistrationNumberValidator,
    RequiredFieldsValidator,
    TextHygieneValidator,
    VatNumberValidator,
    WebsiteValidator,
)
from tests.factories import LeadFactory


def lead(**fields):
    """An unsaved lead: validators read fields only."""
    return LeadFactory.build(**fields)


def codes(findings):
    return {(f.field, f.code, f.severity) for f in findings}


def cleaned(findings, field):
    return next(f.cleaned_value for f in findings if f.field == field and f.cleaned_value is not None)


# --- Email ----------------------------------------------------------------------------------------


def test_valid_email_passes_and_gets_its_domain_lower_cased():
    findings = EmailValidator().validate(lead=lead(email="Anna.de.Vries@ACME.nl"))
    assert cleaned(findings, "email") == "Anna.de.Vries@acme.nl"
    assert not [f for f in findings if f.severity == Severity.ERROR]


@pytest.mark.parametrize("email", ["anna@", "anna@@acme.nl", "anna acme.nl", "anna@acme", "<script>@x.nl"])
def test_malformed_email_is_an_error(email):
    assert ("email", "invalid_email", Severity.ERROR) in codes(EmailValidator().validate(lead=lead(email=email)))


def test_throwaway_and_role_addresses_are_warnings_not_errors():
    assert codes(EmailValidator().validate(lead=lead(email="x@mailinator.com"))) == {
        ("email", "disposable", Severity.WARNING)
    }
    assert codes(EmailValidator().validate(lead=lead(email="sales@acme.nl"))) == {
        ("email", "role_address", Severity.WARNING)
    }


def test_free_mail_is_noted_so_it_is_not_used_to_find_the_company():
    assert ("email", "free_mail", Severity.INFO) in codes(EmailValidator().validate(lead=lead(email="anna@gmail.com")))


def test_email_deliverability_is_not_checked_by_default(settings):
    assert settings.LEADFLOW_EMAIL_CHECK_DELIVERABILITY is False
    assert EmailValidator().validate(lead=lead(email="anna@domain-that-does-not-exist-leadflow.nl")) == []


# --- Phone ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("country", "typed", "e164"),
    [
        ("NL", "020 - 123 45 67", "+31201234567"),
        ("NL", "06 12345678", "+31612345678"),
        ("BE", "02 555 12 12", "+3225551212"),
        ("DE", "030 1234567", "+49301234567"),
        ("DE", "+31 (0)20 123 4567", "+31201234567"),
    ],
)
def test_phone_typed_in_local_format_is_stored_as_e164(country, typed, e164):
    assert cleaned(PhoneValidator().validate(lead=lead(country=country, phone=typed)), "phone") == e164


@pytest.mark.parametrize(
    ("typed", "code"), [("12", "impossible"), ("call me", "not_a_number"), ("+31 99 1234567", "invalid")]
)
def test_impossible_or_invalid_phone_is_an_error(typed, code):
    assert codes(PhoneValidator().validate(lead=lead(country="NL", phone=typed))) == {("phone", code, Severity.ERROR)}


# --- Business identifiers and addresses ---------------------------------------------------------


def test_eu_vat_number_is_checked_and_written_compactly():
    assert cleaned(VatNumberValidator().validate(lead=lead(vat_number="nl 0044.95.445.B01")), "vat_number") == (
        "NL004495445B01"
    )
    assert cleaned(VatNumberValidator().validate(lead=lead(country="DE", vat_number="136 695 976")), "vat_number") == (
        "DE136695976"
    )
    assert codes(VatNumberValidator().validate(lead=lead(vat_number="NL123456789B01"))) == {
        ("vat_number", "invalid_vat", Severity.ERROR)
    }


@pytest.mark.parametrize(
    ("country", "typed", "result"),
    [
        ("NL", "6834 4539", "68344539"),
        ("BE", "BE 0403.019.261", "0403.019.261"),
        ("DE", "Aachen HRA 11223", None),
    ],
)
def test_registration_numbers_of_nl_be_de_are_checked(country, typed, result):
    findings = RegistrationNumberValidator().validate(lead=lead(country=country, registration_number=typed))
    assert not [f for f in findings if f.severity == Severity.ERROR]
    if result:
        assert cleaned(findings, "registration_number") == result


@pytest.mark.parametrize(("country", "typed"), [("NL", "1234"), ("BE", "0403019262"), ("DE", "HRB 1234")])
def test_wrong_registration_number_is_an_error(country, typed):
    findings = RegistrationNumberValidator().validate(lead=lead(country=country, registration_number=typed))
    assert codes(findings) == {("registration_number", "invalid_registration", Severity.ERROR)}


@pytest.mark.parametrize(
    ("country", "typed", "result"),
    [("NL", "1234ab", "1234 AB"), ("BE", "B-1000", "1000"), ("DE", "D-10115", "10115")],
)
def test_postcodes_are_written_in_their_country_format(country, typed, result):
    assert cleaned(PostcodeValidator().validate(lead=lead(country=country, postcode=typed)), "postcode") == result


@pytest.mark.parametrize(("country", "typed"), [("NL", "0123 AB"), ("BE", "0999"), ("DE", "1011"), ("NL", "<b>")])
def test_wrong_postcode_is_an_error(country, typed):
    assert codes(PostcodeValidator().validate(lead=lead(country=country, postcode=typed))) == {
        ("postcode", "invalid_postcode", Severity.ERROR)
    }


def test_country_names_become_iso_codes_and_unknown_ones_a_warning():
    assert cleaned(CountryValidator().validate(lead=lead(country="Nederland")), "country") == "NL"
    assert cleaned(CountryValidator().validate(lead=lead(country="Belgique")), "country") == "BE"
    assert codes(CountryValidator().validate(lead=lead(country="Atlantis"))) == {
        ("country", "unknown_country", Severity.WARNING)
    }


def test_website_is_reduced_to_its_registrable_domain():
    assert (
        cleaned(WebsiteValidator().validate(lead=lead(website="https://www.Acme.nl/contact")), "website") == "acme.nl"
    )
    assert ("website", "free_mail", Severity.WARNING) in codes(
        WebsiteValidator().validate(lead=lead(website="gmail.com"))
    )
    assert codes(WebsiteValidator().validate(lead=lead(website="javascript:alert(1)"))) == {
        ("website", "invalid_website", Severity.ERROR)
    }


# --- Names ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("first", "last", "tidy_first", "tidy_last"),
    [
        ("ANNA", "VAN DER BERG", "Anna", "van der Berg"),
        ("jan-willem", "de vries", "Jan-Willem", "de Vries"),
        ("SEAN", "O'BRIEN", "Sean", "O'Brien"),
        ("ZOË", "MÜLLER", "Zoë", "Müller"),
    ],
)
def test_names_typed_all_caps_or_lower_case_get_capitals(first, last, tidy_first, tidy_last):
    findings = PersonNameValidator().validate(lead=lead(first_name=first, last_name=last))
    assert (cleaned(findings, "first_name"), cleaned(findings, "last_name")) == (tidy_first, tidy_last)


@pytest.mark.parametrize(("first", "last"), [("Zoë", "Ødegård"), ("Łukasz", "Wiśniewski"), ("Anna", "McDonald")])
def test_unicode_and_mixed_case_names_are_left_alone(first, last):
    assert PersonNameValidator().validate(lead=lead(first_name=first, last_name=last)) == []


@pytest.mark.parametrize(
    ("last", "reason"),
    [
        ("sdfgh", "keyboard"),
        ("Test", "placeholder"),
        ("www.spam.com", "web address"),
        ("<script>alert(1)</script>", "markup"),
        ("Jansen2", "digits"),
        ("xxxx", "repeated"),
        ("qwertyuiop", "keyboard"),
        ("Brzstkwf", "vowels"),
    ],
)
def test_junk_names_are_errors_with_a_reason(last, reason):
    findings = PersonNameValidator().validate(lead=lead(first_name="Anna", last_name=last))
    assert codes(findings) == {("last_name", "junk", Severity.ERROR)}
    assert reason in findings[0].message


def test_company_junk_and_html_are_errors_but_capitals_are_kept():
    assert CompanyNameValidator().validate(lead=lead(company="IBM Nederland B.V.")) == []
    assert codes(CompanyNameValidator().validate(lead=lead(company="test"))) == {("company", "junk", Severity.ERROR)}
    assert codes(CompanyNameValidator().validate(lead=lead(company="<img src=x onerror=alert(1)>"))) == {
        ("company", "junk", Severity.ERROR)
    }


# --- Hostile input and required fields ----------------------------------------------------------


def test_control_and_direction_characters_are_stripped_and_spaces_collapsed():
    findings = TextHygieneValidator().validate(
        lead=lead(first_name="An\x00na\u202e", last_name="  de \t Vries ", city="A\x1bdam")
    )
    assert {f.field: f.cleaned_value for f in findings} == {
        "first_name": "Anna",
        "last_name": "de Vries",
        "city": "Adam",
    }


def test_very_long_values_are_handled_without_crashing():
    long_text = "a" * 10_000
    assert codes(PersonNameValidator().validate(lead=lead(first_name="Anna", last_name=long_text))) == {
        ("last_name", "junk", Severity.ERROR)
    }
    assert EmailValidator().validate(lead=lead(email=f"{long_text}@acme.nl"))[0].code == "invalid_email"
    assert WebsiteValidator().validate(lead=lead(website=long_text + ".nl"))[0].code == "invalid_website"
    assert PhoneValidator().validate(lead=lead(phone="1" * 5000))[0].severity == Severity.ERROR


@pytest.mark.django_db
def test_required_fields_follow_the_rule_of_the_leads_source():
    RequiredFieldRule.objects.create(source="webinar", required_fields=["company", "job_title"])
    findings = RequiredFieldsValidator().validate(lead=lead(source="webinar", company="", job_title="", last_name=""))
    assert codes(findings) == {("company", "required", Severity.ERROR), ("job_title", "required", Severity.ERROR)}


@pytest.mark.django_db
def test_default_rule_applies_to_other_sources_and_demands_a_way_to_reach_the_person():
    findings = RequiredFieldsValidator().validate(lead=lead(source="anything", last_name="", email="", phone=""))
    assert codes(findings) == {("last_name", "required", Severity.ERROR), ("email", "no_contact", Severity.ERROR)}


@pytest.mark.django_db
def test_required_field_rule_refuses_fields_leads_do_not_have():
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="shoe_size"):
        RequiredFieldRule(source="x", required_fields=["shoe_size"]).full_clean()
