import csv

import pytest
from django.core.management import CommandError, call_command

from leadflow.leads.models import Lead, SourceKind
from leadflow.quality.models import LeadFingerprint, NotDuplicatePair

pytestmark = pytest.mark.django_db


def imported(external_id, source="febrl.csv", **fields):
    """A lead as a bulk import leaves it when no worker has checked it yet."""
    custom = fields.pop("custom_fields", {})
    return Lead.objects.create(
        source_kind=SourceKind.IMPORT, source=source, external_id=external_id, custom_fields=custom, **fields
    )


def person(external_id, **overrides):
    fields = {
        "first_name": "michaela",
        "last_name": "neumann",
        "street": "stanley street",
        "postcode": "2261",
        "city": "winston hills",
        "phone": "02 9335 7162",
        "custom_fields": {"street_number": "8", "date_of_birth": "19151111", "soc_sec_id": "5304218"},
    }
    return imported(external_id, **{**fields, **overrides})


def run(tmp_path, *args):
    output = tmp_path / "pairs.csv"
    call_command("find_duplicates", "--output", str(output), "--quiet", *args)
    with output.open(newline="") as f:
        return list(csv.DictReader(f))


def test_audit_writes_each_duplicate_pair_once_with_scores_and_reasons(tmp_path):
    original = person("rec-1-org")
    copy = person("rec-1-dup-0", first_name="micheala", city="winston hils", phone="")
    person(
        "rec-2-org",
        first_name="courtney",
        last_name="painter",
        street="pinkerton circuit",
        postcode="4510",
        city="bongaree",
        phone="07 3129 3241",
        custom_fields={"street_number": "12", "date_of_birth": "19860920", "soc_sec_id": "7701861"},
    )
    rows = run(tmp_path)
    assert [(r["lead_a"], r["lead_b"], r["external_id_a"], r["external_id_b"], r["decision"]) for r in rows] == [
        (str(original.pk), str(copy.pk), "rec-1-org", "rec-1-dup-0", "auto")
    ]
    assert float(rows[0]["score"]) >= 0.9
    assert "Same date of birth." in rows[0]["reasons"]


def test_audit_computes_the_keys_of_leads_no_worker_has_checked(tmp_path):
    person("a")
    person("b")
    assert not LeadFingerprint.objects.exists()
    run(tmp_path)
    assert LeadFingerprint.objects.count() == 2


def test_household_members_are_not_written(tmp_path):
    person("mother")
    person("son", first_name="jack", custom_fields={"street_number": "8", "date_of_birth": "19450310"})
    assert run(tmp_path) == []


def test_dismissed_pairs_and_other_sources_are_left_out(tmp_path):
    a, b = person("a"), person("b")
    person("c", source="other.csv")
    assert len(run(tmp_path)) == 3
    assert len(run(tmp_path, "--source", "febrl.csv")) == 1
    NotDuplicatePair.objects.create(lead_low=a, lead_high=b)
    assert len(run(tmp_path, "--source", "febrl.csv")) == 0


def test_thresholds_from_the_command_line(tmp_path):
    person("a")
    person("b", first_name="michael", phone="", custom_fields={})
    assert {r["decision"] for r in run(tmp_path, "--threshold", "1.0")} == {"review"}
    assert run(tmp_path, "--min-score", "1.0") == []


def test_spreadsheet_formulas_in_stored_values_are_neutralised(tmp_path):
    person("=HYPERLINK(1)")
    person("b")
    assert run(tmp_path)[0]["external_id_a"] == "'=HYPERLINK(1)"


def test_bad_options_give_a_clear_error(tmp_path):
    with pytest.raises(CommandError, match="between 0 and 1"):
        call_command("find_duplicates", "--output", str(tmp_path / "x.csv"), "--threshold", "90")
    with pytest.raises(CommandError, match="Cannot write"):
        call_command("find_duplicates", "--output", str(tmp_path / "missing" / "x.csv"), "--quiet")
