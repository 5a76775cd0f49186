from leadflow.crm.models import Conversion
from leadflow.leads.gates import Gate
from leadflow.leads.models import Lead


class SalesforceCommittedGate(Gate):
    """A lead is converted only once its CRM holds its account and contact (see crm.services); the name is kept
    for the settings that list it."""

    def reasons(self, lead: Lead) -> list[str]:
        conversion = Conversion.objects.filter(lead=lead).only("account_id", "contact_id").first()
        if conversion is None or not conversion.committed:
            return ["Not in the CRM yet: use Convert, which creates the account and contact there first."]
        return []
