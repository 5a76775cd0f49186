from typing import Any

from django import forms

from leadflow.sync.models import RETRYABLE_STATES, SyncJob, SyncTarget
from leadflow.sync.targets import clean_settings, target_for_kind


class RetryJobsForm(forms.Form):
    """The failed or dead jobs a manager ticked (or the one whose button they pressed)."""

    jobs = forms.ModelMultipleChoiceField(
        queryset=SyncJob.objects.filter(state__in=RETRYABLE_STATES),
        error_messages={
            "required": "Select at least one failed or dead job.",
            "invalid_choice": "Job %(value)s is no longer failed or dead; reload the page.",
        },
    )


SETTINGS_PREFIX = "settings_"


class SyncTargetForm(forms.ModelForm):
    """Name and switch of a target plus its kind's settings form, flattened into `settings_<name>` fields."""

    kind: str

    class Meta:
        model = SyncTarget
        fields = ("name", "enabled")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        plugin = target_for_kind(self.kind)
        stored = self.instance.settings if self.instance.pk else {}
        for name in plugin.settings_form.base_fields:
            if name in plugin.secret_fields:
                if stored.get(name):
                    self.fields[SETTINGS_PREFIX + name].help_text = "Stored and hidden; leave empty to keep it."
            elif name in stored:
                self.initial[SETTINGS_PREFIX + name] = stored[name]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        plugin = target_for_kind(self.kind)
        stored = self.instance.settings if self.instance.pk else {}
        values = {name: cleaned.get(SETTINGS_PREFIX + name) for name in plugin.settings_form.base_fields}
        for name in plugin.secret_fields:
            values[name] = values[name] or stored.get(name, "")
        # Secrets the settings form will generate: shown once after saving, since the page never shows them back.
        self.generated_secrets = [name for name in plugin.secret_fields if not values[name]]
        try:
            self.instance.settings = clean_settings(self.kind, values)
        except forms.ValidationError as error:
            raise forms.ValidationError(error.messages) from error
        self.instance.kind = self.kind
        return cleaned


def target_form_for(kind: str, *, switch: bool = True) -> type[SyncTargetForm]:
    """The form for a target of `kind`; without `switch` it leaves out the on/off box (the workspace pauses and
    resumes with buttons, which also send held jobs on)."""
    plugin = target_for_kind(kind)
    fields: dict[str, Any] = {}
    for name, field in plugin.settings_form.base_fields.items():
        if name in plugin.secret_fields:
            field = forms.CharField(
                required=False, widget=forms.PasswordInput(render_value=False), help_text=field.help_text
            )
        fields[SETTINGS_PREFIX + name] = field
    if not switch:
        fields["Meta"] = type("Meta", (SyncTargetForm.Meta,), {"fields": ("name",)})
    return type(f"{kind.title()}TargetForm", (SyncTargetForm,), {"kind": kind, **fields})
