from leadflow.core.normalize import is_free_mail_domain, registrable_domain
from leadflow.leads.models import Lead
from leadflow.quality.validators.base import Finding, Severity, Validator, cleaned, error

_MAX_URL = 2048


class WebsiteValidator(Validator):
    """A website becomes its registrable domain ('https://www.Acme.nl/contact' → 'acme.nl')."""

    name = "website"

    def validate(self, *, lead: Lead) -> list[Finding]:
        typed = lead.website.strip()
        if not typed:
            return []
        domain = registrable_domain(typed) if len(typed) <= _MAX_URL else ""
        if not domain:
            return [error("website", "invalid_website", "The website is not a web address.")]
        findings = []
        if domain != lead.website:
            findings.append(cleaned("website", "normalised", "Website reduced to its domain.", domain))
        if is_free_mail_domain(domain):
            findings.append(
                Finding("website", "free_mail", Severity.WARNING, f"{domain} is a mail provider, not a company site.")
            )
        return findings
