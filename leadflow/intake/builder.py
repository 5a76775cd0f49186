"""The forms a sales manager builds a website form with in the workspace: its settings and texts, and its
fields (a lead field picked from a list, or a custom field)."""

from django import forms

from leadflow.core.forms import PlainLabelsMixin
from leadflow.intake.models import FormField, LeadForm
from leadflow.leads.models import Lead

FIELD_NAMES_LIST_ID = "form-field-names"
LEAD_FIELD_NAMES = Lead.EDITABLE_FIELDS


class LeadFormSettingsForm(PlainLabelsMixin, forms.ModelForm):
    # A redirect typed without a scheme is an https address.
    redirect_url = forms.URLField(
        label="Redirect URL",
        required=False,
        assume_scheme="https",
        help_text=LeadForm._meta.get_field("redirect_url").help_text,
    )

    class Meta:
        model = LeadForm
        fields = (
            "name",
            "source",
            "is_active",
            "auto_qualify",
            "default_language",
            "min_fill_seconds",
            "allowed_origins",
            "consent_text_en",
            "consent_text_nl",
            "consent_text_de",
            "thank_you_en",
            "thank_you_nl",
            "thank_you_de",
            "redirect_url",
        )
        labels = {"is_active": "Active (accepts submissions)", "auto_qualify": "Auto-qualify leads that fit"}
        widgets = {
            "allowed_origins": forms.Textarea(attrs={"rows": 3}),
            **{f"consent_text_{code}": forms.Textarea(attrs={"rows": 2}) for code in ("en", "nl", "de")},
        }


class FormFieldForm(PlainLabelsMixin, forms.ModelForm):
    class Meta:
        model = FormField
        fields = ("order", "name", "required", "label_en", "label_nl", "label_de", "help_en")
        widgets = {"name": forms.TextInput(attrs={"list": FIELD_NAMES_LIST_ID, "autocomplete": "off"})}


class BaseFormFieldFormSet(forms.BaseInlineFormSet):
    def get_unique_error_message(self, unique_check: tuple[str, ...]) -> str:
        return "Each field may appear once: the same name is listed twice."


FormFieldFormSet = forms.inlineformset_factory(
    LeadForm, FormField, form=FormFieldForm, formset=BaseFormFieldFormSet, extra=2, can_delete=True
)


def submitted_fields(formset: forms.BaseInlineFormSet) -> tuple[list[FormField], list[FormField]]:
    """The fields to keep (built from the valid formset, unsaved) and those ticked for deletion."""
    kept, removed = [], []
    for field_form in formset.forms:
        if field_form.instance.pk is None and not field_form.has_changed():
            continue
        if field_form.cleaned_data.get("DELETE"):
            removed.append(field_form.instance)
        else:
            kept.append(field_form.instance)
    return kept, removed
