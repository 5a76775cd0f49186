from typing import Any

from django import forms

from leadflow.core.forms import PlainLabelsMixin
from leadflow.intake.models import LANGUAGE_CODES
from leadflow.leads.models import Lead, LeadState
from leadflow.review.models import Activity, AssignmentRule, BulkAction, ResponseTarget, SalesProfile
from leadflow.review.selectors import SORTS, QueueFilters, assignable_users

SORT_LABELS = {
    "newest": "Newest first",
    "oldest": "Oldest first",
    "name": "Name",
    "company": "Company",
    "state": "State",
    "owner": "Owner",
    "score": "Highest score",
    "due": "Due first",
}
# The queue a person sees before choosing any filter: their own open work, what is due first on top.
DEFAULT_QUEUE_QUERY = {"state": "open", "owner": "me", "sort": "due"}
OPEN_WORK = "open"
ALL_STATES = "all"


class QueueFilterForm(forms.Form):
    """The queue's query string. Invalid values are reported and ignored, never a server error."""

    q = forms.CharField(required=False, max_length=200, label="Search")
    state = forms.ChoiceField(
        required=False,
        choices=[("", "Any state"), (ALL_STATES, "Any state"), (OPEN_WORK, "Open work"), *LeadState.choices],
    )
    source = forms.CharField(required=False, max_length=100)
    owner = forms.CharField(required=False, max_length=20)
    country = forms.CharField(required=False, max_length=64)
    created_from = forms.DateField(required=False, label="Created from", widget=forms.DateInput(attrs={"type": "date"}))
    created_to = forms.DateField(required=False, label="Created to", widget=forms.DateInput(attrs={"type": "date"}))
    has_duplicates = forms.BooleanField(required=False, label="Has duplicates")
    has_findings = forms.BooleanField(required=False, label="Has findings")
    min_score = forms.IntegerField(required=False, min_value=0, max_value=100, label="Minimum score")
    overdue = forms.BooleanField(required=False, label="Past response SLA")
    stale = forms.BooleanField(required=False, label="Stale")
    sort = forms.ChoiceField(required=False, choices=[(key, SORT_LABELS[key]) for key in SORTS])

    @classmethod
    def for_query(cls, query: Any) -> "QueueFilterForm":
        """The form for a request's query string; with no filter in it, the default view."""
        if not any(name in query for name in cls.base_fields):
            query = query.copy()
            query.update(DEFAULT_QUEUE_QUERY)
        return cls(query)

    def clean_state(self) -> str:
        state = self.cleaned_data["state"]
        return "" if state == ALL_STATES else state

    def clean_owner(self) -> str:
        owner = self.cleaned_data["owner"]
        if owner and owner not in ("me", "none") and not owner.isdigit():
            raise forms.ValidationError("Choose an owner from the list.")
        return owner

    def filters(self) -> QueueFilters:
        self.is_valid()  # fields that fail validation are left out of cleaned_data, i.e. not filtered on
        data = self.cleaned_data
        return QueueFilters(
            search=data.get("q", "").strip(),
            state=data.get("state", ""),
            source=data.get("source", ""),
            owner=data.get("owner", ""),
            country=data.get("country", "").strip(),
            created_from=data.get("created_from"),
            created_to=data.get("created_to"),
            has_duplicates=data.get("has_duplicates", False),
            has_findings=data.get("has_findings", False),
            min_score=data.get("min_score"),
            overdue=data.get("overdue", False),
            stale=data.get("stale", False),
            sort=data.get("sort") or "newest",
        )


class LeadFieldForm(forms.ModelForm):
    """One editable lead field at a time, for the inline editor; the model's own validation applies."""

    class Meta:
        model = Lead
        fields = Lead.EDITABLE_FIELDS

    def __init__(self, *args: Any, field_name: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.field_name = field_name
        for name in list(self.fields):
            if name != field_name:
                del self.fields[name]


class QualifyForm(forms.Form):
    """What a rep records when qualifying: the customer's need, budget and timing, and the agreed next step."""

    need = forms.CharField(label="Need", max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))
    budget_timing = forms.CharField(label="Budget and timing", max_length=255)
    next_step = forms.CharField(label="Next step", max_length=255)
    next_step_on = forms.DateField(label="Next step on", required=False, widget=forms.DateInput(attrs={"type": "date"}))


class ActivityForm(forms.Form):
    """Log a call, email or meeting; a next step with a date puts the lead on top of the queue on that day."""

    kind = forms.ChoiceField(label="What", choices=Activity.Kind.choices)
    outcome = forms.ChoiceField(label="Outcome", choices=Activity.Outcome.choices)
    summary = forms.CharField(label="Notes", required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 2}))
    next_step = forms.CharField(label="Next step", required=False, max_length=255)
    next_step_on = forms.DateField(label="On", required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("next_step_on") and not data.get("next_step"):
            self.add_error("next_step", "Say what the next step is.")
        return data


class NoteForm(forms.Form):
    body = forms.CharField(label="Add a note", max_length=5000, widget=forms.Textarea(attrs={"rows": 3}))


class BulkActionForm(forms.Form):
    action = forms.ChoiceField(choices=BulkAction.choices)
    lead_ids = forms.TypedMultipleChoiceField(coerce=int, choices=[], required=True)
    owner_id = forms.IntegerField(required=False, label="Assign to")
    reason = forms.CharField(required=False, max_length=255, label="Rejection reason")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Any integer is accepted here; the service keeps only leads the user may see.
        self.fields["lead_ids"].valid_value = lambda value: str(value).isdigit()


class MergeForm(forms.Form):
    """Which record survives, and for each differing field whose value it keeps ("survivor" or "loser")."""

    survivor = forms.ChoiceField(choices=[("this", "This lead"), ("other", "The other lead")])

    def __init__(self, *args: Any, fields: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.merge_fields = fields
        for name in fields:
            self.fields[f"field_{name}"] = forms.ChoiceField(choices=[("this", "This"), ("other", "Other")])

    def field_sources(self) -> dict[str, str]:
        return {name: self.cleaned_data[f"field_{name}"] for name in self.merge_fields}


class NotificationSettingsForm(forms.ModelForm):
    class Meta:
        model = SalesProfile
        fields = (
            "notify_assigned",
            "notify_response_due",
            "notify_duplicate",
            "notify_conversion_failed",
            "notify_by_email",
        )


SOURCES_LIST_ID = "known-sources"


class AssignmentRuleForm(PlainLabelsMixin, forms.ModelForm):
    """A rule as a manager edits it: the source from a list of known sources, the owner and team from menus."""

    language = forms.ChoiceField(
        required=False, choices=[("", "Any language"), *((code, code) for code in LANGUAGE_CODES)]
    )

    class Meta:
        model = AssignmentRule
        fields = ("name", "priority", *AssignmentRule.RULE_FIELDS)
        labels = {"min_company_size": "Company size from", "max_company_size": "Company size up to"}
        widgets = {"source": forms.TextInput(attrs={"list": SOURCES_LIST_ID, "autocomplete": "off"})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = assignable_users()
        self.fields["owner"].help_text = "A person, or a team below (one of the two)."
        self.fields["team"].help_text = "Shared round-robin among its available members."

    def clean_country(self) -> str:
        return self.cleaned_data["country"].strip().upper()

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if bool(data.get("owner")) == bool(data.get("team")):
            raise forms.ValidationError("Choose either a person or a team to receive the leads.")
        return data


class ResponseTargetForm(PlainLabelsMixin, forms.ModelForm):
    class Meta:
        model = ResponseTarget
        fields = ("source", "first_response_hours")
        labels = {"first_response_hours": "First response within (hours)"}
        widgets = {"source": forms.TextInput(attrs={"list": SOURCES_LIST_ID, "autocomplete": "off"})}

    def clean_first_response_hours(self) -> int:
        hours = self.cleaned_data["first_response_hours"]
        if not 1 <= hours <= 24 * 90:
            raise forms.ValidationError("Give a number of hours from 1 to 2160 (90 days).")
        return hours
