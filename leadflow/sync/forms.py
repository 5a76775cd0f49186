from django import forms

from leadflow.sync.models import RETRYABLE_STATES, SyncJob


class RetryJobsForm(forms.Form):
    """The failed or dead jobs a manager ticked (or the one whose button they pressed)."""

    jobs = forms.ModelMultipleChoiceField(
        queryset=SyncJob.objects.filter(state__in=RETRYABLE_STATES),
        error_messages={
            "required": "Select at least one failed or dead job.",
            "invalid_choice": "Job %(value)s is no longer failed or dead; reload the page.",
        },
    )
