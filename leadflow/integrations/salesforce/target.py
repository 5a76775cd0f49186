"""Salesforce as a CRM target (leadflow.crm.targets): Account, Contact and Opportunity per lead.

All records of one lead are written in one all-or-nothing request of upserts keyed by the conversion's external
key, so a retry after a lost answer updates instead of duplicating. Up to 75 leads share one lookup call and one
Composite Graph call; leads that would create the same new Account wait for a later batch, whose lookup then
links to it.
"""

from collections.abc import Sequence

from django.conf import settings

from leadflow.core.exceptions import ExternalServiceError
from leadflow.crm.targets import DOES_NOT_FIT, REFERENCES, BatchOutcome, Converted, CrmTarget, QuotaWait
from leadflow.integrations.salesforce.client import (
    ROLLED_BACK,
    SalesforceClient,
    api_budget,
    failure_from,
    record_link,
)
from leadflow.integrations.salesforce.models import OpportunitySettings
from leadflow.integrations.salesforce.payload import (
    ConversionPlan,
    ConversionPlanner,
    Deal,
    deferred_for_shared_accounts,
)

QUOTA_WAIT_SECONDS = 900  # the org's quota is a rolling 24 hours: waiting minutes, not seconds, helps
# What each write of a conversion is, for people reading why Salesforce refused it.
WRITE_SUBJECTS = {
    "account": "the Account",
    "contact": "the Contact",
    "opportunity": "the Opportunity",
    "accountUpdate": "the update of the existing Account",
    "contactUpdate": "the update of the existing Contact",
    "contactRole": "the Contact's role on the Opportunity",
}
SOBJECTS = ("Account", "Contact", "Opportunity")


class SalesforceTarget(CrmTarget):
    name = "salesforce"
    label = "Salesforce"
    record_names = SOBJECTS

    def preview(self, *, lead, external_key: str, deal: Deal) -> ConversionPlan:
        """One API call (plus the describe, cached for an hour); writes nothing."""
        return ConversionPlanner(SalesforceClient()).plan([(lead, external_key, deal)])[0]

    def convert(self, conversions: Sequence) -> BatchOutcome:
        client = SalesforceClient()
        deferred: set[int] = set()
        try:
            plans = ConversionPlanner(client).plan([(c.lead, c.external_key, c.deal()) for c in conversions])
            deferred = deferred_for_shared_accounts(plans)
            sent = [i for i in range(len(plans)) if i not in deferred]
            written = dict(zip(sent, _write(client, [plans[i] for i in sent]), strict=True))
            outcomes = [None if i in deferred else _converted(plans[i], written[i]) for i in range(len(plans))]
        except ExternalServiceError as exc:
            outcomes = [None if i in deferred else exc for i in range(len(conversions))]
        return BatchOutcome(outcomes, calls=client.calls)

    def quota_wait(self, *, calls: int) -> QuotaWait | None:
        budget = api_budget()
        if budget is None or budget.remaining >= settings.SALESFORCE_API_RESERVE + calls:
            return None
        message = (
            f"Salesforce's daily API quota is nearly used up ({budget.remaining} of {budget.limit} calls left); "
            "the conversion waits and is retried automatically."
        )
        return QuotaWait(message, "REQUEST_LIMIT_EXCEEDED", QUOTA_WAIT_SECONDS)

    def record_link(self, reference: str, record_id: str) -> str:
        return record_link(self.record_name(reference), record_id)

    def deal_stages(self) -> list[str]:
        """The org's Opportunity stages from its describe (cached)."""
        try:
            description = SalesforceClient().describe(["Opportunity"])["Opportunity"]
        except ExternalServiceError:
            description = None
        stage = description.field("StageName") if description else None
        if stage and stage.picklist_values:
            return list(stage.picklist_values)
        return [OpportunitySettings.current().stage_name]


def _converted(
    plan: ConversionPlan, written: dict[str, str] | ExternalServiceError
) -> Converted | ExternalServiceError:
    if isinstance(written, ExternalServiceError):
        return written
    return Converted(
        {
            reference: (written.get(reference, record.record_id), record.action)
            for reference, record in zip(REFERENCES, plan.records, strict=True)
        }
    )


def _write(client: SalesforceClient, plans: list[ConversionPlan]) -> list[dict[str, str] | ExternalServiceError]:
    """Send every plan's writes: a Composite for one lead, Composite Graphs (a graph per lead, 75 per call) for
    more. A plan Salesforce would refuse (see ConversionPlan.problems) is not sent.

    Returns per plan the record ids by reference, or the error that rolled that lead's writes back.
    """
    outcomes: list[dict[str, str] | ExternalServiceError] = [{} for _ in plans]
    pending = []
    for index, plan in enumerate(plans):
        if plan.problems:
            outcomes[index] = ExternalServiceError(
                "Not sent to Salesforce, which would refuse it: " + " ".join(plan.problems),
                permanent=True,
                extra={"code": DOES_NOT_FIT},
            )
        elif plan.subrequests():
            pending.append(index)
    if len(pending) == 1:
        outcomes[pending[0]] = _outcome(client.composite(plans[pending[0]].subrequests(), all_or_none=True))
        return outcomes
    while pending:
        graphs = [{"graphId": f"lead{plans[i].lead.pk}", "compositeRequest": plans[i].subrequests()} for i in pending]
        halted = []
        for index, graph in zip(pending, client.composite_graph(graphs), strict=True):
            answer = graph["graphResponse"]["compositeResponse"]
            if all(_rolled_back(node) for node in answer):
                halted.append(index)  # never attempted: Salesforce stopped after too many failed graphs
            else:
                outcomes[index] = _outcome(answer)
        if len(halted) == len(pending):
            error = failure_from(400, answer[0]["body"]).as_error()
            for index in halted:
                outcomes[index] = error
            break
        pending = halted
    return outcomes


def _outcome(answer: list[dict]) -> dict[str, str] | ExternalServiceError:
    failed = [each for each in answer if each["httpStatusCode"] >= 300]
    if not failed:
        return {each["referenceId"]: each["body"]["id"] for each in answer if each["referenceId"] in REFERENCES}
    real = next((each for each in failed if not _rolled_back(each)), failed[0])
    failure = failure_from(real["httpStatusCode"], real["body"])
    return failure.as_error(WRITE_SUBJECTS.get(real["referenceId"], ""))


def _rolled_back(subresponse: dict) -> bool:
    body = subresponse.get("body")
    return isinstance(body, list) and all(isinstance(e, dict) and e.get("errorCode") == ROLLED_BACK for e in body)
