from leadflow.crm.models import Conversion
from leadflow.leads.gates import Gate
from leadflow.leads.models import Lead


class SalesforceCommittedGate(Gate):
    """A lead is converted only once Salesforce holds its Account and Contact (see crm.services)."""

    name = "salesforce_committed"

    def reasons(self, *, lead: Lead) -> list[str]:
        conversion = Conversion.objects.filter(lead=lead).only("account_id", "contact_id").first()
        if conversion is None or not conversion.committed:
            return ["Not in Salesforce yet: use Convert, which creates the Account and Contact first."]
        return []
