"""The match model is learned from the database's own leads, stored, overridable, and used by every matcher."""

import random

import pytest
from django.core.management import call_command
from django.urls import reverse

from leadflow.leads.models import Lead, SourceKind
from leadflow.quality.audit import candidate_pairs, duplicate_audit
from leadflow.quality.matching import training
from leadflow.quality.matching.profile import blocking_keys, profile_from_values, usable_keys
from leadflow.quality.models import ComparisonLevel, MatchSettings, TermFrequency
from leadflow.quality.selectors import match_config
from leadflow.quality.services import match_model_is_stale, match_model_train
from leadflow.quality.tasks import retrain_match_model

pytestmark = pytest.mark.django_db

FIRST = ["anna", "piet", "jan", "maria", "sophie", "daan", "emma", "lucas", "julia", "sem", "tess", "finn"]
LAST = ["jansen", "de vries", "bakker", "visser", "smit", "meijer", "mulder", "bos", "vos", "peters", "hendriks"]
CITIES = ["ede", "delft", "breda", "zwolle", "emmen", "venlo"]


def typo(rng: random.Random, word: str) -> str:
    i = rng.randrange(1, len(word) - 1)
    return word[:i] + word[i + 1] + word[i] + word[i + 2 :]


def stored_list(people: int, *, postcode: str | None = None, seed: int = 3) -> list[Lead]:
    """`people` imported person records, most with one mistyped copy: a list worth learning from."""
    rng = random.Random(seed)
    rows = []
    for index in range(people):
        row = {
            "first_name": rng.choice(FIRST),
            "last_name": rng.choice(LAST),
            "street": f"Dorpsstraat {rng.randint(1, 300)}",
            "postcode": postcode or f"{rng.randint(1000, 9999)} AB",
            "city": rng.choice(CITIES),
        }
        rows.append((f"{index}-org", row))
        if rng.random() < 0.7:
            rows.append((f"{index}-dup", {**row, "last_name": typo(rng, row["last_name"])}))
    return Lead.objects.bulk_create(
        Lead(source_kind=SourceKind.IMPORT, source="list.csv", external_id=external_id, **row)
        for external_id, row in rows
    )


def test_train_matcher_learns_weights_from_the_leads_and_stores_them_in_the_database():
    stored_list(500)
    call_command("train_matcher", "--quiet")
    row = MatchSettings.objects.get(pk=1)
    assert row.trained_at is not None and row.trained_records == Lead.objects.count()
    assert 0 < row.match_probability < 0.01
    weights = {(level.field, level.level): level.weight for level in ComparisonLevel.objects.all()}
    assert weights[("first_name", "exact")] > 0 > weights[("first_name", "different")]
    assert weights[("last_name", "typo")] > 0
    assert TermFrequency.objects.filter(field="city", value="ede").exists()
    config = match_config()
    assert config.weights.levels[("first_name", "exact")] == pytest.approx(weights[("first_name", "exact")])
    assert config.weights.replaced_name_share == row.replaced_name_share is not None


def test_a_weight_overridden_in_the_admin_survives_retraining_and_is_used():
    stored_list(500)
    match_model_train()
    ComparisonLevel.objects.filter(field="city", level="exact").update(weight_override=0.25)
    match_model_train()
    assert ComparisonLevel.objects.get(field="city", level="exact").weight_override == 0.25
    assert match_config().weights.level_weight("city", "exact") == 0.25


def test_a_database_too_small_to_learn_from_keeps_the_hand_set_weights(capsys):
    stored_list(20)
    call_command("train_matcher", "--quiet")
    assert "hand-set weights stay in use" in capsys.readouterr().out
    assert not ComparisonLevel.objects.exists()
    assert match_config().weights.level_weight("first_name", "exact") == 3.0


def test_find_duplicates_learns_the_model_first_on_a_freshly_imported_list():
    stored_list(500)
    assert match_model_is_stale()
    pairs = list(duplicate_audit())
    assert MatchSettings.objects.get(pk=1).match_probability is not None
    assert not match_model_is_stale()
    assert retrain_match_model() is False  # nothing changed since: the beat task does nothing
    found = {(p.external_id_a.split("-")[0], p.external_id_b.split("-")[0]) for p in pairs if p.decision == "auto"}
    assert sum(a == b for a, b in found) >= 0.9 * Lead.objects.filter(external_id__endswith="-dup").count()


def test_a_postcode_most_leads_share_is_measured_as_near_constant_and_builds_no_key():
    stored_list(500, postcode="0000")
    match_model_train()
    common = match_config().weights.common
    assert "0000" in common["postcode"]
    keys = blocking_keys(profile_from_values({"first_name": "Anna", "street": "Dorpsstraat 4", "postcode": "0000"}))
    assert keys["address_key"] == "0000|4"
    assert "address_key" not in usable_keys(keys, common)


def test_a_pair_with_both_names_corrupted_still_shares_a_key_through_its_street_name():
    # Another first name, a mistyped surname, a typo in the street's type word and a transposed postcode:
    # every name key and every exact-address key differs, the street's name and its place still agree.
    a = profile_from_values(
        {
            "first_name": "Noah",
            "last_name": "Gamlin",
            "street": "12 Hopkins Street",
            "postcode": "7622",
            "city": "Redpa",
        }
    )
    b = profile_from_values(
        {
            "first_name": "Emily",
            "last_name": "Gavmlin",
            "street": "3 Hopkins Sreet",
            "postcode": "7262",
            "city": "Redpa",
        }
    )
    shared = {rule for rule, key in blocking_keys(a).items() if key and key == blocking_keys(b)[rule]}
    assert shared == {"street_name_city"}


def address_list(*, households: bool, seed: int = 5) -> list:
    """Profiles of 400 people at their own address, each with a copy; every tenth copy has its first name
    replaced and every tenth its surname; with `households`, a third of the people live with a family member."""
    rng = random.Random(seed)
    profiles = []
    for index in range(400):
        person = {
            "first_name": rng.choice(FIRST),
            "last_name": f"{rng.choice(LAST)}{index}",
            "street": f"Dorpsstraat {index + 1}",
            "postcode": "1234 AB",
            "city": "ede",
        }
        copy = dict(person)
        if index % 10 == 0:
            copy["first_name"] = rng.choice([name for name in FIRST if name != person["first_name"]])
        elif index % 10 == 5:
            copy["last_name"] = f"{rng.choice(LAST)}x{index}"
        profiles += [profile_from_values(person), profile_from_values(copy)]
        if households and index % 3 == 0:
            family = {**person, "first_name": rng.choice([name for name in FIRST if name != person["first_name"]])}
            profiles.append(profile_from_values(family))
    return profiles


@pytest.mark.parametrize(("households", "one_person"), [(False, (0.5, 1.0)), (True, (0.0, 0.25))])
def test_the_share_of_replaced_first_names_is_read_from_how_often_surnames_are_replaced(households, one_person):
    profiles = address_list(households=households)
    pairs = [(i, j) for i in range(len(profiles)) for j in range(i + 1, min(i + 3, len(profiles)))]
    share = training.replaced_name_share(training.level_matrix(profiles, pairs))
    low, high = one_person
    assert low <= share <= high


def test_the_audit_streams_each_candidate_pair_once_however_many_keys_it_shares():
    leads = stored_list(60)
    pairs = list(candidate_pairs(source=None, max_block_size=200))
    assert len(pairs) == len(set(pairs))
    assert all(a < b for a, b in pairs)
    ids = {lead.pk for lead in leads}
    assert {lead_id for pair in pairs for lead_id in pair} <= ids


def test_staff_see_the_learned_levels_and_term_frequencies_in_the_admin(client, staff_user):
    stored_list(500)
    match_model_train()
    client.force_login(staff_user)
    page = client.get(reverse("admin:quality_matchsettings_change", args=[1]))
    assert page.status_code == 200
    assert b"Learned comparison levels" in page.content and b"nickname" in page.content
    assert client.get(reverse("admin:quality_termfrequency_changelist")).status_code == 200
