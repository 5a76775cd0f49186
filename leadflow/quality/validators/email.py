from django.conf import settings
from email_validator import EmailNotValidError, validate_email

from leadflow.core.normalize import ROLE_MAILBOXES, is_disposable_domain, is_free_mail_domain
from leadflow.leads.models import Lead
from leadflow.quality.validators.base import Finding, Severity, Validator, cleaned, error, warning


class EmailValidator(Validator):
    """Syntax and normal form (email-validator); throwaway and role mailboxes are warnings, free mail a note.

    Deliverability (DNS MX) is checked only when LEADFLOW_EMAIL_CHECK_DELIVERABILITY is on.
    """

    name = "email"

    def validate(self, *, lead: Lead) -> list[Finding]:
        typed = lead.email.strip()
        if not typed:
            return []
        try:
            info = validate_email(typed, check_deliverability=settings.LEADFLOW_EMAIL_CHECK_DELIVERABILITY)
        except EmailNotValidError as exc:
            return [error("email", "invalid_email", f"The email address is not valid: {exc}")]
        findings = []
        if info.normalized != lead.email:
            findings.append(cleaned("email", "normalised", "Email address tidied.", info.normalized))
        domain = info.domain.casefold()
        if is_disposable_domain(domain):
            findings.append(warning("email", "disposable", f"{domain} hands out throwaway addresses."))
        elif is_free_mail_domain(domain):
            findings.append(
                Finding("email", "free_mail", Severity.INFO, f"{domain} is free mail: not used to find the company.")
            )
        if info.local_part.casefold() in ROLE_MAILBOXES:
            findings.append(
                warning("email", "role_address", f"{info.local_part}@ is a shared mailbox, not a person's address.")
            )
        return findings
