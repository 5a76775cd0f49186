"""What the accounting targets (systems of record: SnelStart, Business Central) share: a customer becomes one record
there, made at most once. The `RecordCustomer` row answers a job run twice without a call; before a create the
target looks the customer up in its copy of the system's customers, so one that exists (or one an earlier attempt
created and whose answer was lost) is matched instead, and a look-alike is named for a person to check.
"""

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from leadflow.sync.events import CUSTOMER_UPDATED
from leadflow.sync.targets import DeliveryResult, Target

if TYPE_CHECKING:
    from leadflow.sync.models import RecordCustomer, SyncJob, SyncTarget


@dataclass
class RecordFound:
    """The record a create-or-match ended with."""

    fields: dict[str, Any]  # the system's ids of it, as the `RecordCustomer` keeps them
    code: Any  # the number people know it by
    match_field: str | None = None  # what an existing record was matched on; None when it was created
    suggestion: Any = None  # a record with the same name and postcode, for a person to check


class AccountingTarget(Target):
    system: ClassVar[str]  # the short name people use
    client_class: ClassVar[type]
    record_model: ClassVar[type["RecordCustomer"]]
    record_noun: ClassVar[str]  # what the system calls a customer
    # The match field that can only find a record Leadflow created (an earlier attempt whose answer was lost).
    own_match_field: ClassVar[str]

    def deliver(self, *, target: "SyncTarget", job: "SyncJob") -> DeliveryResult:
        known = self.record_model.objects.filter(target=target, lead_id=job.lead_id).first()
        if job.event == CUSTOMER_UPDATED:
            return self.record_update(target=target, job=job, known=known)
        if known:
            return DeliveryResult(detail=f"Already in {self.system} as {self.record_noun} {self.record_label(known)}.")
        return self.record_create(target=target, job=job, client=self.client_class(target))

    def record_label(self, record: "RecordCustomer") -> str:
        raise NotImplementedError

    def record_find_or_create(self, *, target: "SyncTarget", job: "SyncJob", client: Any) -> RecordFound:
        raise NotImplementedError

    def record_update(self, *, target: "SyncTarget", job: "SyncJob", known: "RecordCustomer | None") -> DeliveryResult:
        raise NotImplementedError

    def record_create(self, *, target: "SyncTarget", job: "SyncJob", client: Any) -> DeliveryResult:
        """Find or make the record and keep it (get_or_create: an earlier run of this job that lost its lease may
        have kept it already), and say what happened."""
        found = self.record_find_or_create(target=target, job=job, client=client)
        ours = found.match_field == self.own_match_field
        noun = self.record_noun
        review = ""
        if found.suggestion:
            review = f"Same name and postcode as {noun} {found.suggestion}: check whether it is a duplicate."
        self.record_model.objects.get_or_create(
            target=target,
            lead_id=job.lead_id,
            defaults={
                **found.fields,
                "matched_existing": bool(found.match_field) and not ours,
                "review_suggestion": review[:255],
            },
        )
        if ours:
            detail = f"Found {noun} {found.code} an earlier attempt created."
        elif found.match_field:
            detail = f"Matched existing {noun} {found.code} on {found.match_field}."
        else:
            detail = f"Created {noun} {found.code}. {review}".strip()
        return DeliveryResult(status_code=200 if found.match_field else 201, detail=detail[:255])

    def record_for_update(
        self, *, target: "SyncTarget", job: "SyncJob", client: Any, known: "RecordCustomer | None"
    ) -> "RecordCustomer | DeliveryResult":
        """The record an update changes. A customer not yet in the system (its conversion job has not run) is
        created from today's data first; when that made a new record, nothing is left to change and the creating
        delivery's result is returned instead."""
        if known is not None:
            return known
        result = self.record_create(target=target, job=job, client=client)
        if result.status_code == 201:
            return result
        return self.record_model.objects.get(target=target, lead_id=job.lead_id)
