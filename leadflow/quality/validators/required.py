from leadflow.leads.models import Lead
from leadflow.quality.selectors import required_field_rule
from leadflow.quality.validators.base import Finding, Validator, error, label

# Used when the admin has written no rule for the lead's source and no default rule.
DEFAULT_REQUIRED_FIELDS = ("last_name",)


class RequiredFieldsValidator(Validator):
    """The fields the lead's form, API client or import must collect (RequiredFieldRule, editable in the admin)."""

    name = "required"

    def validate(self, *, lead: Lead) -> list[Finding]:
        rule = required_field_rule(source=lead.source)
        required = rule.required_fields if rule else DEFAULT_REQUIRED_FIELDS
        findings = [
            error(name, "required", f"{label(name)} is missing.")
            for name in required
            if not str(getattr(lead, name, "") or "").strip()
        ]
        if (rule is None or rule.require_email_or_phone) and not lead.email.strip() and not lead.phone.strip():
            findings.append(error("email", "no_contact", "Give an email address or a phone number."))
        return findings
