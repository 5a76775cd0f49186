import pytest

from leadflow.core.normalize import (
    company_key,
    country_code,
    email_key,
    is_free_mail_domain,
    person_name_key,
    phone_key,
    phonetic_key,
    registrable_domain,
    sorted_name_key,
    surname_core,
)


@pytest.mark.parametrize(
    ("value", "domain"),
    [
        ("https://www.Acme.nl/contact", "acme.nl"),
        ("www.acme.co.uk", "acme.co.uk"),
        ("anna@mail.Acme.de", "acme.de"),
        ("ACME.BE", "acme.be"),
        ("http://192.168.0.1/admin", ""),
        ("localhost", ""),
        ("not a domain", ""),
        ("", ""),
    ],
)
def test_registrable_domain_from_url_host_or_email(value, domain):
    assert registrable_domain(value) == domain


def test_free_mail_and_throwaway_domains_are_not_company_domains():
    assert is_free_mail_domain("gmail.com")
    assert is_free_mail_domain("ZIGGO.nl")
    assert is_free_mail_domain("mailinator.com")
    assert not is_free_mail_domain("acme.nl")


@pytest.mark.parametrize(
    "name",
    ["Acme Trading B.V.", "ACME TRADING BV", "The Acme Trading b.v.", "Acme-Trading N.V.", "Acme Trading, Ltd."],
)
def test_company_key_ignores_legal_form_articles_and_punctuation(name):
    assert company_key(name) == "acme trading"


def test_company_key_keeps_a_name_made_only_of_legal_words_and_folds_diacritics():
    assert company_key("AG") == "ag"
    assert company_key("Müller & Söhne GmbH & Co. KG") == "muller sohne"


def test_person_keys_fold_case_diacritics_and_order():
    assert person_name_key(" Zoë ", "van der  Berg") == "zoe van der berg"
    assert sorted_name_key("Anna", "de Vries") == sorted_name_key("de Vries,", "ANNA")
    assert surname_core("van der Berg") == "berg"


def test_email_key_folds_case_plus_tags_and_gmail_dots():
    assert email_key(" Anna.Jansen+news@GoogleMail.com ") == "annajansen@gmail.com"
    assert email_key("Anna+x@Acme.nl") == "anna@acme.nl"
    assert email_key("anna@") == ""
    assert email_key("no address") == ""


def test_phone_key_reads_local_formats_with_the_region():
    assert phone_key("020 - 123 45 67", "NL") == "+31201234567"
    assert phone_key("0032 2 555 12 12") == ""  # no region and no +: unknown
    assert phone_key("+32 2 555 12 12") == "+3225551212"
    assert phone_key("12", "NL") == ""


@pytest.mark.parametrize(
    "spellings", [("Meijer", "Meyer", "Maier"), ("Schmidt", "Schmid"), ("Jansen", "Janssen"), ("Philips", "Filips")]
)
def test_phonetic_key_groups_spelling_variants(spellings):
    assert len({phonetic_key(s) for s in spellings}) == 1


def test_phonetic_key_tells_different_names_apart():
    assert phonetic_key("Jansen") != phonetic_key("Jacobs")
    assert phonetic_key("") == ""


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("nl", "NL"),
        ("NLD", "NL"),
        ("The Netherlands", "NL"),
        ("Nederland", "NL"),
        ("Deutschland", "DE"),
        ("Belgique", "BE"),
        ("België", "BE"),
        ("Allemagne", "DE"),
        ("Atlantis", ""),
        ("", ""),
    ],
)
def test_country_code_from_codes_and_names(value, code):
    assert country_code(value) == code
