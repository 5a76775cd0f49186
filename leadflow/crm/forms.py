"""The deal a person sets when converting (Salesforce: the Opportunity; Pipedrive: the Deal): name, amount, close
date and stage, or none."""

from datetime import timedelta

from django import forms
from django.utils import timezone

from leadflow.integrations.salesforce.models import OpportunitySettings
from leadflow.integrations.salesforce.payload import Deal
from leadflow.leads.models import Lead

CREATE, SKIP = "create", "skip"


class ConversionDealForm(forms.Form):
    opportunity = forms.ChoiceField(
        label="Opportunity",
        choices=[(CREATE, "Create an Opportunity"), (SKIP, "No Opportunity yet (a relevant contact, no deal)")],
        widget=forms.RadioSelect,
    )
    name = forms.CharField(label="Opportunity name", required=False, max_length=255)
    amount = forms.DecimalField(label="Amount", required=False, min_value=0, max_digits=16, decimal_places=2)
    close_date = forms.DateField(label="Close date", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    stage = forms.ChoiceField(label="Stage", required=False)

    def __init__(self, *args, lead: Lead, stages: list[str], deal_name: str = "Opportunity", **kwargs) -> None:
        """`stages`: the CRM's deal stages (Salesforce: from its describe); `deal_name` what the CRM calls a deal.
        Defaults come from the admin settings."""
        options = OpportunitySettings.current()
        today = timezone.localdate()
        kwargs.setdefault(
            "initial",
            {
                "opportunity": CREATE if options.create_opportunity else SKIP,
                "name": options.name_for(lead, today.isoformat()),
                "amount": options.amount_for(lead),
                "close_date": today + timedelta(days=options.close_date_offset_days),
                "stage": options.stage_name,
            },
        )
        super().__init__(*args, **kwargs)
        self.fields["stage"].choices = [(stage, stage) for stage in stages]
        self.deal_name = f"{'an' if deal_name[:1] in 'AEIOU' else 'a'} {deal_name}"  # "an Opportunity", "a Deal"
        self.fields["opportunity"].label = deal_name
        self.fields["opportunity"].choices = [
            (CREATE, f"Create {self.deal_name}"),
            (SKIP, f"No {deal_name} yet (a relevant contact, no deal)"),
        ]
        self.fields["name"].label = f"{deal_name} name"

    def clean(self) -> dict:
        cleaned = super().clean()
        if cleaned.get("opportunity") == CREATE and not (cleaned.get("name") or "").strip():
            self.add_error("name", f"{self.deal_name[0].upper()}{self.deal_name[1:]} needs a name.")
        return cleaned

    def deal(self) -> Deal:
        data = self.cleaned_data
        if data["opportunity"] == SKIP:
            return Deal(create_opportunity=False)
        return Deal(
            create_opportunity=True,
            name=data["name"].strip(),
            amount=data["amount"],
            close_date=data["close_date"],
            stage=data["stage"],
        )
