"""Forms for editing the conversion criteria in the sales workspace: the thresholds, and each rule with a field
picker and an operator picker instead of typed names."""

from typing import Any

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS

from leadflow.core.forms import PlainLabelsMixin
from leadflow.qualification.models import QualificationRule, QualificationSettings
from leadflow.qualification.rules import CUSTOM_FIELD_PREFIX, FIELD_CHOICES, Operator
from leadflow.qualification.services import RULE_ATTRIBUTES, RuleInput

CUSTOM_FIELD = "custom"


class CriteriaThresholdsForm(PlainLabelsMixin, forms.ModelForm):
    change_reason = forms.CharField(
        label="Why you change the criteria", required=False, max_length=500, help_text="Kept in the history."
    )

    class Meta:
        model = QualificationSettings
        fields = ("qualify_at", "reject_below")


class RuleForm(PlainLabelsMixin, forms.ModelForm):
    """One rule. The field is chosen from the lead fields rules can test, or "custom field" with its key."""

    # Empty first choices: an untouched new-rule row stays unchanged, so it is skipped rather than refused.
    field = forms.ChoiceField(
        label="Field", choices=[("", "Choose a field"), *FIELD_CHOICES, (CUSTOM_FIELD, "Custom field…")]
    )
    custom_key = forms.CharField(
        label="Custom field key", required=False, max_length=64, help_text="Only for a custom field, e.g. budget."
    )
    operator = forms.ChoiceField(label="Operator", choices=[("", "Choose"), *Operator.choices])

    class Meta:
        model = QualificationRule
        fields = ("order", "label", "field", "operator", "value", "hard", "weight", "active")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The rules' help is said once above them, not repeated in every rule.
        for field in self.fields.values():
            field.help_text = ""
        # Named as saved: the instance takes the submitted (maybe invalid) values once the form is checked.
        self.saved_description = str(self.instance) if self.instance.pk else ""
        stored = self.initial.get("field", "")
        if stored.startswith(CUSTOM_FIELD_PREFIX):
            self.initial["field"], self.initial["custom_key"] = CUSTOM_FIELD, stored.removeprefix(CUSTOM_FIELD_PREFIX)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("field") == CUSTOM_FIELD:
            key = data.get("custom_key", "").strip()
            if not key:
                self.add_error("custom_key", "Give the custom field's key.")
            data["field"] = CUSTOM_FIELD_PREFIX + key
        return data


RuleFormSet = forms.inlineformset_factory(
    QualificationSettings, QualificationRule, form=RuleForm, extra=1, can_delete=True
)


def submitted_rules(formset: forms.BaseInlineFormSet) -> list[RuleInput]:
    """The rules of a valid formset as the service takes them: blank new rows and ticked deletions left out."""
    rules = []
    for rule_form in formset.forms:
        is_blank_extra_row = rule_form.instance.pk is None and not rule_form.has_changed()
        if is_blank_extra_row or rule_form.cleaned_data.get("DELETE"):
            continue
        values = {name: rule_form.cleaned_data[name] for name in RULE_ATTRIBUTES}
        rules.append(RuleInput(id=rule_form.instance.pk, **values))
    return rules


def criteria_form_problems(form: forms.Form, formsets: list[forms.BaseFormSet]) -> list[str]:
    """Every error of the thresholds form and the rule formsets as one line each, naming the rule by position."""
    errors = [_problem("", name, messages) for name, messages in form.errors.items()]
    for formset in formsets:
        errors += [" ".join(str(e) for e in formset.non_form_errors())] if formset.non_form_errors() else []
        for position, errors_of_row in enumerate(formset.errors, start=1):
            errors += [_problem(f"Rule {position}", name, messages) for name, messages in errors_of_row.items()]
    return errors


def _problem(where: str, field_name: str, messages: list[str]) -> str:
    place = ", ".join(part for part in (where, "" if field_name == NON_FIELD_ERRORS else field_name) if part)
    return f"{place}: {' '.join(messages)}" if place else " ".join(messages)
