import threading
import time

import pytest
from django.db import connection

from leadflow.core.exceptions import TransitionNotAllowed
from leadflow.leads import services
from leadflow.leads.gates import Gate
from leadflow.leads.models import LeadEvent, LeadState
from leadflow.quality.services import lead_run_checks
from tests.factories import LeadFactory, UserFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


class SlowGate(Gate):
    """Holds the row lock long enough for the second caller to arrive while the first is mid-transition."""

    name = "slow"

    def reasons(self, *, lead):
        time.sleep(0.3)
        return []


def fire_together(*calls):
    """Run each call in its own thread (so its own database connection), started at the same instant."""
    barrier = threading.Barrier(len(calls))
    outcomes = [None] * len(calls)

    def run(index, call):
        barrier.wait()
        try:
            outcomes[index] = call()
        except Exception as exc:
            outcomes[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return outcomes


def test_two_people_validating_the_same_lead_at_once_make_exactly_one_transition(settings):
    settings.LEADFLOW_GATES = {**settings.LEADFLOW_GATES, "validate": [f"{__name__}.SlowGate"]}
    anna, bram = UserFactory(username="anna"), UserFactory(username="bram")
    lead = LeadFactory()
    lead_run_checks(lead=lead)

    outcomes = fire_together(
        lambda: services.lead_validate(lead=lead, actor=anna),
        lambda: services.lead_validate(lead=lead, actor=bram),
    )

    winners = [o for o in outcomes if not isinstance(o, Exception)]
    losers = [o for o in outcomes if isinstance(o, Exception)]
    assert len(winners) == 1 and winners[0].state == LeadState.VALIDATED
    assert len(losers) == 1 and isinstance(losers[0], TransitionNotAllowed)
    assert "it is validated" in losers[0].message
    assert LeadEvent.objects.filter(lead=lead, kind=LeadEvent.Kind.TRANSITION).count() == 1


def test_a_person_rejecting_while_a_worker_qualifies_leaves_one_consistent_outcome(settings):
    settings.LEADFLOW_GATES = {**settings.LEADFLOW_GATES, "qualify": [f"{__name__}.SlowGate"]}
    lead = LeadFactory(state=LeadState.VALIDATED)
    rep = UserFactory(username="rep")

    outcomes = fire_together(
        lambda: services.lead_qualify(lead=lead, actor=None),
        lambda: services.lead_reject(lead=lead, actor=rep, reason="Competitor"),
    )

    lead.refresh_from_db()
    events = list(LeadEvent.objects.filter(lead=lead, kind=LeadEvent.Kind.TRANSITION))
    # Both may succeed only in order (qualify, then reject from qualified); the audit must tell that same story.
    assert [e.to_state for e in events][-1] == lead.state
    previous_states = ["validated", *[e.to_state for e in events[:-1]]]
    assert [e.from_state for e in events] == previous_states
    assert sum(not isinstance(o, Exception) for o in outcomes) == len(events)
