from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection

from leadflow.leads import services as lead_services
from leadflow.leads.models import Lead, LeadEvent
from leadflow.review.models import SalesProfile, TeamMembership
from leadflow.review.services import lead_auto_assign, team_next_member
from tests.factories import LeadFactory, UserFactory
from tests.review.factories import AssignmentRuleFactory, TeamFactory, TeamMembershipFactory

pytestmark = pytest.mark.django_db


def team_of(*usernames, away=()):
    team = TeamFactory()
    for name in usernames:
        user = UserFactory(username=name)
        TeamMembershipFactory(team=team, user=user)
        if name in away:
            SalesProfile.objects.create(user=user, away=True)
    return team


def assigned(lead):
    lead.refresh_from_db()
    return lead.owner.username if lead.owner else None


def test_first_matching_rule_by_priority_picks_the_owner():
    AssignmentRuleFactory(priority=20, country="NL", owner=UserFactory(username="nl"))
    AssignmentRuleFactory(priority=10, country="NL", source="webinar", owner=UserFactory(username="webinar-nl"))
    AssignmentRuleFactory(priority=5, country="DE", owner=UserFactory(username="de"))
    webinar, website = LeadFactory(country="NL", source="webinar"), LeadFactory(country="NL", source="website")
    lead_auto_assign(lead=webinar)
    lead_auto_assign(lead=website)
    assert (assigned(webinar), assigned(website)) == ("webinar-nl", "nl")


@pytest.mark.parametrize(
    ("size", "expected"), [(None, "fallback"), (9, "fallback"), (10, "mid"), (250, "mid"), (251, "fallback")]
)
def test_company_size_range_is_inclusive_and_unknown_size_does_not_match(size, expected):
    AssignmentRuleFactory(priority=1, min_company_size=10, max_company_size=250, owner=UserFactory(username="mid"))
    AssignmentRuleFactory(priority=2, owner=UserFactory(username="fallback"))
    lead = LeadFactory(company_size=size)
    lead_auto_assign(lead=lead)
    assert assigned(lead) == expected


def test_language_rule_matches_case_insensitively():
    AssignmentRuleFactory(language="de", owner=UserFactory(username="german"))
    lead = LeadFactory(language="DE")
    lead_auto_assign(lead=lead)
    assert assigned(lead) == "german"


def test_lead_with_an_owner_is_left_alone():
    AssignmentRuleFactory(owner=UserFactory(username="rule-owner"))
    lead = LeadFactory(owner=UserFactory(username="chosen"))
    lead_auto_assign(lead=lead)
    assert assigned(lead) == "chosen"


def test_no_matching_rule_leaves_the_lead_unassigned():
    AssignmentRuleFactory(country="BE", owner=UserFactory())
    lead = LeadFactory(country="NL")
    lead_auto_assign(lead=lead)
    assert assigned(lead) is None


def test_rule_whose_owner_is_away_falls_through_to_the_next():
    away = UserFactory(username="away")
    SalesProfile.objects.create(user=away, away=True)
    AssignmentRuleFactory(priority=1, owner=away)
    AssignmentRuleFactory(priority=2, team=team_of("present"))
    lead = LeadFactory()
    lead_auto_assign(lead=lead)
    assert assigned(lead) == "present"


def test_automatic_assignment_is_audited_as_the_system():
    AssignmentRuleFactory(name="Benelux", owner=UserFactory(username="bene"))
    lead = LeadFactory()
    lead_auto_assign(lead=lead)
    event = lead.events.get(kind=LeadEvent.Kind.ASSIGNMENT)
    assert (event.actor_label, event.reason) == ("system", "Assignment rule “Benelux”.")


def test_round_robin_skips_people_marked_away():
    team = team_of("a", "b", "c", away=("b",))
    picks = [team_next_member(team_id=team.pk).username for _ in range(4)]
    assert picks == ["a", "c", "a", "c"]


def test_everyone_away_means_no_team_member():
    team = team_of("a", away=("a",))
    assert team_next_member(team_id=team.pk) is None


def test_returning_colleague_rejoins_the_rotation_without_a_backlog_of_turns():
    team = team_of("a", "b", "c", away=("c",))
    for _ in range(6):
        team_next_member(team_id=team.pk)
    SalesProfile.objects.filter(user__username="c").update(away=False)
    picks = [team_next_member(team_id=team.pk).username for _ in range(6)]
    assert Counter(picks) == {"a": 2, "b": 2, "c": 2}


def test_an_import_of_hundreds_of_leads_is_spread_evenly_over_the_team(django_capture_on_commit_callbacks):
    team = team_of("a", "b", "c", "d", "e", "f", "g", away=("g",))
    AssignmentRuleFactory(team=team)
    with django_capture_on_commit_callbacks(execute=True):  # one import, all rows in one go
        lead_services.lead_create_many(
            actor="import:bulk.csv",
            source_kind="import",
            source="import",
            items=[{"last_name": f"L{i}", "company": f"Firm {i}"} for i in range(302)],
        )
    counts = Counter(Lead.objects.values_list("owner__username", flat=True))
    assert sum(counts.values()) == 302  # 6 reps: 50 or 51 each
    assert set(counts) == {"a", "b", "c", "d", "e", "f"}
    assert max(counts.values()) - min(counts.values()) <= 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_workers_keep_the_rotation_exact():
    if connection.vendor != "postgresql":
        pytest.skip("Row locks need PostgreSQL.")
    team = team_of("a", "b", "c", "d")

    def take_turn(_):
        try:
            return team_next_member(team_id=team.pk).username
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=8) as pool:
        picks = list(pool.map(take_turn, range(200)))
    assert Counter(picks) == {"a": 50, "b": 50, "c": 50, "d": 50}
    assert sorted(TeamMembership.objects.values_list("last_turn", flat=True)) == [197, 198, 199, 200]
