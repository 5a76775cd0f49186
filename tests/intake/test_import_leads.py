import csv

import openpyxl
import pytest
from django.core.management import CommandError, call_command

from leadflow.intake.importing.columns import column_mapping_guess
from leadflow.intake.importing.services import MAX_LISTED, split_person_name
from leadflow.leads.models import Lead, LeadEvent, SourceKind

FEBRL = (
    "rec_id, given_name, surname, street_number, address_1, address_2, suburb, postcode, state, date_of_birth, "
    "soc_sec_id\n"
    "rec-1-org, michaela, neumann, 8, stanley street, miami, winston hills, 4223, nsw, 19151111, 5304218\n"
    "rec-1-dup-0, michaela, neuman, 8, stanley st, miami, winston hills, 4223, nsw, 19151111, 5304218\n"
)


def write(tmp_path, name, text, encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def run(path, *args):
    call_command("import_leads", str(path), *args, verbosity=0)


@pytest.mark.django_db
def test_record_linkage_file_imports_with_ids_fields_and_custom_evidence(tmp_path):
    run(write(tmp_path, "febrl.csv", FEBRL))
    lead = Lead.objects.get(external_id="rec-1-org")
    assert (lead.first_name, lead.last_name, lead.street, lead.city, lead.postcode) == (
        "michaela",
        "neumann",
        "8 stanley street",
        "winston hills",
        "4223",
    )
    assert lead.source == "febrl.csv"
    assert lead.source_kind == SourceKind.IMPORT
    assert lead.custom_fields == {
        "address_2": "miami",
        "state": "nsw",
        "date_of_birth": "19151111",
        "soc_sec_id": "5304218",
    }
    assert lead.submission["rec_id"] == "rec-1-org"
    assert lead.checks_due_at is not None
    assert LeadEvent.objects.filter(lead=lead, kind=LeadEvent.Kind.CREATED).count() == 1


@pytest.mark.django_db
def test_running_the_same_import_again_creates_no_duplicates(tmp_path, capsys):
    path = write(tmp_path, "febrl.csv", FEBRL)
    run(path)
    call_command("import_leads", str(path), verbosity=1)
    assert Lead.objects.count() == 2
    assert "skipped (already imported): 2" in capsys.readouterr().out


@pytest.mark.django_db
def test_semicolon_latin1_file_with_quoted_newlines_and_dutch_headers(tmp_path):
    text = 'Voornaam;Achternaam;Bedrijf;Plaats;Opmerking\nJosé;Müller;"Acme; BV";Utrecht;"two\nlines"\n'
    run(write(tmp_path, "nl.csv", text, encoding="latin-1"))
    lead = Lead.objects.get()
    assert (lead.first_name, lead.last_name, lead.company, lead.city) == ("José", "Müller", "Acme; BV", "Utrecht")
    assert lead.message == "two\nlines"
    assert lead.external_id == "1", "without an id column the row number identifies the record"


@pytest.mark.django_db
def test_utf8_bom_and_tab_delimited_file(tmp_path):
    run(write(tmp_path, "t.tsv", "id\tname\temail\n7\tJan de Vries\tjan@x.nl\n", encoding="utf-8-sig"))
    lead = Lead.objects.get()
    assert (lead.external_id, lead.first_name, lead.last_name, lead.email) == ("7", "Jan", "de Vries", "jan@x.nl")


@pytest.mark.django_db
def test_xlsx_values_become_text_a_person_would_read(tmp_path):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["Record ID", "First name", "Last name", "Employees", "Zip"])
    sheet.append([101, "Anna", "Berg", 250.0, 1234])
    path = tmp_path / "leads.xlsx"
    workbook.save(path)
    run(path)
    lead = Lead.objects.get()
    assert (lead.external_id, lead.first_name, lead.company_size, lead.postcode) == ("101", "Anna", 250, "1234")


@pytest.mark.django_db
def test_map_override_source_and_limit(tmp_path):
    path = write(tmp_path, "x.csv", "key,who,firm\na,Jan,Acme\nb,Piet,Beta\nc,Kees,Gamma\n")
    run(path, "--map", "key=external_id", "--map", "firm=company", "--map", "who=first_name", "--source", "crm-dump")
    run(path, "--source", "other", "--limit", "1")
    assert Lead.objects.filter(source="crm-dump").count() == 3
    assert Lead.objects.get(source="crm-dump", external_id="b").company == "Beta"
    assert Lead.objects.filter(source="other").count() == 1


@pytest.mark.django_db
def test_dry_run_writes_nothing_and_previews(tmp_path, capsys):
    call_command("import_leads", str(write(tmp_path, "febrl.csv", FEBRL)), "--dry-run")
    out = capsys.readouterr().out
    assert "Would import 2 of 2 rows" in out
    assert "rec-1-dup-0" in out
    assert not Lead.objects.exists()


@pytest.mark.django_db
def test_repeated_ids_empty_rows_and_bad_values_are_reported_not_lost(tmp_path):
    text = "id,first_name,employees\n1,Ann,12\n1,Ann again,3\n,,\n2,Bob,about fifty\n"
    report_path = tmp_path / "report.csv"
    run(write(tmp_path, "r.csv", text), "--report", str(report_path))
    assert list(Lead.objects.order_by("external_id").values_list("external_id", flat=True)) == ["1", "2"]
    bob = Lead.objects.get(external_id="2")
    assert bob.company_size is None
    assert bob.custom_fields == {"company_size": "about fifty"}
    rows = list(csv.DictReader(report_path.open()))
    assert [(r["row"], r["reason"][:20]) for r in rows] == [("2", "Id '1' appears earli"), ("3", "Empty row.")]


@pytest.mark.django_db
def test_report_file_lists_every_skipped_row_beyond_what_the_summary_keeps(tmp_path):
    many = MAX_LISTED + 50
    text = "id,email\n1,ann@example.nl\n" + ",\n" * many
    report_path = tmp_path / "report.csv"
    run(write(tmp_path, "many.csv", text), "--report", str(report_path))
    rows = list(csv.DictReader(report_path.open()))
    assert len(rows) == many
    assert (rows[0]["row"], rows[-1]["row"]) == ("2", str(many + 1))
    assert Lead.objects.count() == 1


def test_generic_name_column_is_read_by_what_else_the_file_holds():
    assert column_mapping_guess(["name", "email"]).targets == ["name", "email"]
    assert column_mapping_guess(["name", "company"]).targets == ["name", "company"]
    assert column_mapping_guess(["id", "name", "addr", "city", "phone"]).targets[1:3] == ["company", "street"]
    assert column_mapping_guess(["first_name", "last_name", "name"]).targets[2] == "company"
    assert column_mapping_guess(["first_name", "name", "company"]).targets[1] == "custom:name"
    assert column_mapping_guess(["full_name", "city"]).targets[0] == "name"
    assert column_mapping_guess(["full_name", "email"], {"full_name": "company"}).targets[0] == "company"
    assert split_person_name("Berg, Jan") == {"first_name": "Jan", "last_name": "Berg"}
    assert split_person_name("Madonna") == {"last_name": "Madonna"}


def test_unknown_column_in_map_option_is_a_clear_error(tmp_path):
    with pytest.raises(CommandError, match="no column 'nope'"):
        run(write(tmp_path, "x.csv", "a,b\n1,2\n"), "--map", "nope=email")
    with pytest.raises(CommandError, match="Unknown field 'favourite'"):
        run(write(tmp_path, "y.csv", "a,b\n1,2\n"), "--map", "a=favourite")


def test_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(CommandError, match="No such file"):
        run(tmp_path / "absent.csv")


@pytest.mark.django_db
def test_nul_characters_in_a_cell_are_replaced_not_fatal(tmp_path):
    run(write(tmp_path, "nul.csv", "id,first_name\n1,An\x00na\n"))
    assert Lead.objects.get().first_name == "An\ufffdna"


@pytest.mark.django_db
def test_a_very_long_cell_is_kept_not_fatal(tmp_path):
    run(write(tmp_path, "long.csv", "id,notes\n1," + "x" * 200_000 + "\n"))
    assert len(Lead.objects.get().message) == 200_000


@pytest.mark.parametrize(
    ("header", "target"),
    [
        ("Aantal medewerkers", "company_size"),
        ("Aantal werknemers", "company_size"),
        ("Anzahl Mitarbeiter", "company_size"),
        ("Mitarbeiterzahl", "company_size"),
        ("Beschäftigte", "company_size"),
        ("Unternehmensgröße", "company_size"),
        ("Functietitel", "job_title"),
        ("Webseite", "website"),
    ],
)
def test_dutch_and_german_column_names_are_recognised(header, target):
    assert column_mapping_guess([header, "E-mail"]).targets[0] == target
