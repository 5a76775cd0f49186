"""Which system leads which customer data, per target: a change made where the data is not led is not pushed.

A customer's data falls into field groups. For each group a system of record (an accounting or ERP target)
says who leads it: Leadflow (sales keeps it right, the change is pushed to the target) or the target itself
(accounting keeps it right; an edit in Leadflow is not pushed but opened as a `SyncConflict` for a person).
A target whose settings form has no such choice (a webhook) merely hears about changes, so it hears of all.
Payment terms and open items are accounting's alone: Leadflow holds no such field and never sends one.
"""

from typing import TYPE_CHECKING, Any

from django import forms

from leadflow.sync.targets import target_for_kind

if TYPE_CHECKING:
    from leadflow.sync.models import SyncTarget

LEADFLOW = "leadflow"
TARGET = "target"
FIELD_GROUPS = {
    "contact": ("first_name", "last_name", "email", "phone", "job_title", "language"),
    "company": ("company", "website", "company_size", "vat_number", "registration_number"),
    "address": ("street", "postcode", "city", "country"),
}
GROUP_OF_FIELD = {field: group for group, fields in FIELD_GROUPS.items() for field in fields}
# The usual split: sales keeps contact and company data right, accounting the billing address.
USUAL_LEADERS = {"contact": LEADFLOW, "company": LEADFLOW, "address": TARGET}
LEADER_CHOICES = [(LEADFLOW, "Leadflow / CRM leads: changes are pushed"), (TARGET, "This system leads: not pushed")]


class LeadingSystemsForm(forms.Form):
    """Base of the settings form of a system of record: one leading-system choice per field group. A group left
    out (settings written by code or saved before the choice existed) gets the usual split."""

    leading_contact = forms.ChoiceField(
        choices=LEADER_CHOICES,
        initial=USUAL_LEADERS["contact"],
        required=False,
        help_text="Names, email, phone, job title.",
    )
    leading_company = forms.ChoiceField(
        choices=LEADER_CHOICES,
        initial=USUAL_LEADERS["company"],
        required=False,
        help_text="Company name, website, VAT, KvK.",
    )
    leading_address = forms.ChoiceField(
        choices=LEADER_CHOICES,
        initial=USUAL_LEADERS["address"],
        required=False,
        help_text="Street, postcode, city, country.",
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        for group, leader in USUAL_LEADERS.items():
            cleaned[f"leading_{group}"] = cleaned.get(f"leading_{group}") or leader
        return cleaned


def is_system_of_record(target: "SyncTarget") -> bool:
    return issubclass(target_for_kind(target.kind).settings_form, LeadingSystemsForm)


def target_leads(*, target: "SyncTarget", field: str) -> bool:
    """Whether the target, not Leadflow, leads this field (settings saved before the choice existed get the
    usual split)."""
    group = GROUP_OF_FIELD.get(field)
    if group is None or not is_system_of_record(target):
        return False
    return target.settings.get(f"leading_{group}", USUAL_LEADERS[group]) == TARGET


def split_changes(*, target: "SyncTarget", changed: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The edited fields ({field: [old, new]}) this target is sent, and those it leads (withheld)."""
    withheld = {f: values for f, values in changed.items() if target_leads(target=target, field=f)}
    return {f: v for f, v in changed.items() if f not in withheld}, withheld
