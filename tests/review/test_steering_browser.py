"""A sales manager steers in Chromium, at 1440 and 360 px: changes a criterion with the pickers, tries it on the
open leads (nothing saved), then saves it; and copies an embed snippet."""

import pytest

from leadflow.qualification.models import CriteriaChange, QualificationRule
from tests.factories import LeadFactory
from tests.intake.factories import LeadFormFactory
from tests.review.browser import DESKTOP, PHONE, new_page, overflows, sign_in
from tests.review.factories import user_with_role

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(params=[DESKTOP, PHONE], ids=["1440px", "360px"])
def manager_page(browser, live_server, request):
    user_with_role("maria", "Sales manager")
    page = new_page(browser, request.param)
    sign_in(page, live_server, "maria")
    yield page
    page.context.close()


def test_manager_edits_a_criterion_tests_it_and_saves_it(manager_page, live_server):
    page = manager_page
    QualificationRule.objects.all().delete()
    QualificationRule.objects.create(field="country", operator="equals", value="NL", weight=10)
    LeadFactory.create_batch(2, country="BE", company_size=500)
    LeadFactory(country="NL", company_size=5)

    page.get_by_role("link", name="Settings").click()
    page.get_by_role("link", name="Conversion criteria").click()
    rule = page.get_by_role("group", name="Rule 1: Country equals NL")
    rule.get_by_label("Field", exact=True).select_option(label="Company size")
    rule.get_by_label("Operator", exact=True).select_option(label="is at least")
    rule.get_by_label("Value", exact=True).fill("100")
    assert overflows(page) == 0

    page.get_by_role("button", name="Test these criteria").click()
    result = page.locator("#criteria-test")
    result.get_by_text("Tested on the open leads: nothing saved").wait_for()
    assert "would change suggestion" in result.inner_text()
    assert QualificationRule.objects.get().field == "country"  # testing saved nothing

    page.get_by_label("Why you change the criteria").fill("Size matters more than country")
    page.get_by_role("button", name="Save the criteria").click()
    page.get_by_text("are being re-classified").wait_for()
    rule = QualificationRule.objects.get()
    assert (rule.field, rule.operator, rule.value) == ("company_size", "gte", "100")
    assert CriteriaChange.objects.get().reason == "Size matters more than country"


def test_an_invalid_criterion_shows_its_error_beside_the_field(manager_page, live_server):
    page = manager_page
    QualificationRule.objects.all().delete()
    QualificationRule.objects.create(field="country", operator="equals", value="NL", weight=10)
    page.goto(f"{live_server.url}/manage/criteria/")
    rule = page.get_by_role("group", name="Rule 1: Country equals NL")
    rule.get_by_label("Field", exact=True).select_option(label="Company size")
    rule.get_by_label("Operator", exact=True).select_option(label="contains")
    page.get_by_role("button", name="Save the criteria").click()
    rule.get_by_text("Company size cannot be tested with “contains”.", exact=True).wait_for()  # beside the field
    assert page.get_by_role("alert").filter(has_text="Not saved").is_visible()  # and in the summary below
    assert QualificationRule.objects.get().field == "country"
    assert overflows(page) == 0


def test_manager_copies_an_embed_snippet(manager_page, live_server):
    page = manager_page
    lead_form = LeadFormFactory(name="Fair stand")
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    page.goto(f"{live_server.url}/manage/forms/")
    page.get_by_role("link", name="Fair stand").click()
    copy = page.get_by_role("button", name="Copy 1. Script (renders the form, submits with fetch)")
    copy.focus()
    page.keyboard.press("Enter")
    page.get_by_text("Copied.").wait_for()
    assert f'data-form="{lead_form.key}"' in page.evaluate("navigator.clipboard.readText()")
    assert overflows(page) == 0
