"""Demo data for a first look: people in each role, a team with assignment rules, response targets and a few
months of leads in every state. Conversions are real: they are queued and the worker converts them in the
(local) Salesforce org, so the ids on the lead pages are ids Salesforce gave."""

import random
import secrets
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone
from tqdm import tqdm

from leadflow.crm.services import leads_convert_request
from leadflow.intake.models import FormField, LeadForm
from leadflow.intake.services import api_token_create
from leadflow.integrations.exact.target import DEFAULT_FIELD_MAPPING
from leadflow.leads import services as lead_services
from leadflow.leads.gates import blocking_reasons
from leadflow.leads.models import Lead, LeadEvent, LeadState
from leadflow.qualification.models import Verdict
from leadflow.qualification.services import lead_assess
from leadflow.review import roles
from leadflow.review import services as review_services
from leadflow.review.models import Activity, AssignmentRule, Note, ResponseTarget, SalesProfile, Team, TeamMembership
from leadflow.review.services import note_add
from leadflow.sync.models import SyncTarget
from leadflow.sync.services import sync_target_disable, sync_target_save
from leadflow.sync.targets import clean_settings
from standins.exact.config import StandinConfig

PEOPLE = [
    ("admin", roles.ADMIN, True),
    ("maria.manager", roles.SALES_MANAGER, False),
    ("sam.rep", roles.SALES_REP, False),
    ("ruben.rep", roles.SALES_REP, False),
    ("eva.rep", roles.SALES_REP, False),
]
SOURCES = ["website-contact", "webinar-nl", "partner-api", "trade-show-import"]
FIRST_NAMES = [
    "Anna",
    "Daan",
    "Sophie",
    "Lucas",
    "Emma",
    "Milan",
    "Julia",
    "Noah",
    "Lotte",
    "Finn",
    "Sanne",
    "Jonas",
    "Lena",
    "Thomas",
    "Marie",
    "Pieter",
    "Eline",
    "Bram",
    "Hannah",
    "Lars",
]
LAST_NAMES = [
    "de Vries",
    "Jansen",
    "Bakker",
    "Visser",
    "Smit",
    "Meijer",
    "Peeters",
    "Maes",
    "Müller",
    "Schmidt",
    "Mulder",
    "de Boer",
    "Dekker",
    "Willems",
    "Claes",
    "Schneider",
    "Bos",
    "Vos",
    "Hendriks",
    "Wagner",
]
COMPANIES = [
    ("Acme Logistics B.V.", "NL", "nl"),
    ("Brightwave GmbH", "DE", "de"),
    ("Noordzee Foods B.V.", "NL", "nl"),
    ("Vlaamse Bouwgroep NV", "BE", "nl"),
    ("Kraftwerk Solar AG", "DE", "de"),
    ("Delta Retail B.V.", "NL", "nl"),
    ("Antwerp Chemicals NV", "BE", "nl"),
    ("Rheinland IT GmbH", "DE", "de"),
    ("Tulip Fintech B.V.", "NL", "en"),
    ("Brussels Media SA", "BE", "en"),
    ("Hanse Maschinenbau GmbH", "DE", "de"),
    ("Utrecht Health B.V.", "NL", "nl"),
]
DEMO_FORM_FIELDS = [
    ("first_name", "First name", "Voornaam", False),
    ("last_name", "Last name", "Achternaam", True),
    ("email", "Work email", "Zakelijk e-mailadres", True),
    ("company", "Company", "Bedrijf", True),
    ("phone", "Phone", "Telefoon", False),
    ("message", "How can we help?", "Waarmee kunnen we helpen?", False),
]
NEEDS = [
    ("Route planning for 40 vans", "€25k, decision before Q2"),
    ("Replace spreadsheets for order intake", "€10k, this quarter"),
    ("Customer portal for dealers", "€60k, next financial year"),
    ("Warehouse scanning app", "€15k, pilot in 6 weeks"),
]
NEXT_STEPS = ["Demo with the operations team", "Send a quote", "Call back about the pilot", "Meeting at their office"]
EXACT_DEMO_DIVISION = StandinConfig.division
EXACT_DEMO_WAITING = (
    "Waiting to be connected: an admin connects it to Exact Online (admin → Sync targets → Connect), "
    "then a manager resumes it under Settings → Sync targets."
)
REJECTION_REASONS = ["Not our target market", "Spam or test submission", "No budget", "Competitor", "Could not reach"]


def demo_password() -> str:
    """One password for every demo login, made on first use and kept beside the local database, never in the repo."""
    password_file = Path(settings.DATA_DIR) / "demo-password"
    if not password_file.exists():
        password_file.write_text(secrets.token_urlsafe(12))
        password_file.chmod(0o600)
    return password_file.read_text().strip()


def demo_people_ensure(*, password: str) -> dict[str, Any]:
    """Create the demo people (or reset their password), each in their role; `admin` is a superuser."""
    people = {}
    for username, group, staff in PEOPLE:
        user, _ = get_user_model().objects.get_or_create(
            username=username, defaults={"email": f"{username}@leadflow.example", "is_staff": staff}
        )
        user.is_superuser = username == "admin"
        user.set_password(password)
        user.save()
        user.groups.add(Group.objects.get(name=group))
        people[username] = user
    SalesProfile.objects.update_or_create(user=people["eva.rep"], defaults={"away": True})
    return people


def demo_workspace_create(*, people: dict[str, Any], leads: int, seed: int) -> int:
    """Fill an empty workspace once; returns how many leads were made (0 when leads exist already)."""
    if Lead.objects.exists():
        return 0
    rng = random.Random(seed)
    _rules(people)
    _intake(people)
    to_convert = [
        lead for lead in (_lead(rng, people) for _ in tqdm(range(leads), desc="Demo leads", unit="lead")) if lead
    ]
    _duplicates()
    leads_convert_request(leads=to_convert, actor=people["maria.manager"])
    return Lead.objects.count()


def _rules(people: dict[str, Any]) -> None:
    benelux = Team.objects.create(name="Benelux")
    for name in ("sam.rep", "ruben.rep", "eva.rep"):
        TeamMembership.objects.create(team=benelux, user=people[name])
    AssignmentRule.objects.create(
        name="Enterprise accounts", priority=10, min_company_size=1000, owner=people["maria.manager"]
    )
    AssignmentRule.objects.create(name="German speakers", priority=20, language="de", owner=people["ruben.rep"])
    AssignmentRule.objects.create(name="Benelux round-robin", priority=30, team=benelux)
    ResponseTarget.objects.create(source="website-contact", first_response_hours=4)
    ResponseTarget.objects.create(source="webinar-nl", first_response_hours=48)


def _intake(people: dict[str, Any]) -> None:
    """A website form (active, a person decides on its leads) and an API client, so the whole flow can be tried."""
    form = LeadForm.objects.create(
        name="Website contact form",
        source="website-contact",
        allowed_origins="http://localhost:8000\nhttp://127.0.0.1:8000",
        consent_text_en="I agree that Leadflow Demo contacts me about my request.",
        consent_text_nl="Ik ga akkoord dat Leadflow Demo contact met me opneemt over mijn vraag.",
    )
    for order, (name, label_en, label_nl, required) in enumerate(DEMO_FORM_FIELDS):
        FormField.objects.create(
            form=form, name=name, label_en=label_en, label_nl=label_nl, required=required, order=order
        )
    api_token_create(name="Partner X", source="partner-api", created_by=people["admin"])
    _sync_target(people)


def _sync_target(people: dict[str, Any]) -> None:
    """Exact Online (the local stand-in's company) receives converted customers. It starts paused: connecting
    needs an admin's OAuth consent; until then the demo's conversions wait in its queue on the sync monitor."""
    target = SyncTarget(
        name="exact-demo",
        kind="exact",
        settings=clean_settings("exact", {"division": EXACT_DEMO_DIVISION, "field_mapping": DEFAULT_FIELD_MAPPING}),
    )
    sync_target_save(target=target, actor=people["admin"])
    sync_target_disable(target=target, reason=EXACT_DEMO_WAITING)


@transaction.atomic
def _lead(rng: random.Random, people: dict[str, Any]) -> Lead | None:
    """One lead with a plausible history; returns it when its story ends in conversion."""
    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    company, country, language = rng.choice(COMPANIES)
    domain = company.split()[0].lower() + ".example"
    source = rng.choice(SOURCES)
    lead = lead_services.lead_create(
        actor=f"import:{source}",
        source=source,
        first_name=first,
        last_name=last if rng.random() > 0.05 else "",
        email=f"{first.lower()}.{last.split()[-1].lower()}@{domain}" if rng.random() > 0.06 else f"{first}@@{domain}",
        phone=f"+31 20 {rng.randint(1000000, 9999999)}",
        company=company,
        country=country,
        language=language,
        company_size=rng.choice([5, 12, 40, 85, 250, 600, 1500]),
        city="Amsterdam",
        job_title="Head of operations",
    )
    lead_services.lead_process(lead_id=lead.pk)
    lead.refresh_from_db()
    age = timedelta(days=rng.uniform(0, 84), hours=rng.uniform(0, 23))
    convert = _history(rng, lead, people, age)
    created = timezone.now() - age
    Lead.objects.filter(pk=lead.pk).update(created_at=created)
    # Spread the recorded events over the lead's first hours (people answered within a working day), in order,
    # so the timeline, the response targets and the funnel read naturally.
    response_time = min(age * 0.5, timedelta(hours=rng.uniform(0.5, 20)))
    event_ids = list(lead.events.order_by("id").values_list("pk", flat=True))
    offsets = sorted(rng.uniform(0, 1) for _ in event_ids[1:])
    for event_id, offset in zip(event_ids, [0.0, *offsets], strict=True):
        LeadEvent.objects.filter(pk=event_id).update(created_at=created + response_time * offset)
    for event in lead.events.filter(kind=LeadEvent.Kind.NOTE):
        Note.objects.filter(pk=event.data.get("note_id")).update(created_at=event.created_at)
        Activity.objects.filter(pk=event.data.get("activity_id")).update(created_at=event.created_at)
    return lead if convert else None


def _history(rng: random.Random, lead: Lead, people: dict[str, Any], age: timedelta) -> bool:
    """What the sales team did with the lead. The last day's leads still wait for a person (some past their
    response target); older ones were judged by a person, who followed the criteria's suggestion most of the
    time. Returns whether the lead should be converted."""
    if age < timedelta(days=1):
        return False
    actor = lead.owner or people["maria.manager"]
    assessment = lead_assess(lead=lead)
    if lead.state == LeadState.NEW or assessment.verdict == Verdict.REJECT or not assessment.fit:
        if rng.random() < 0.8:
            lead_services.lead_reject(lead=lead, actor=actor, reason=rng.choice(REJECTION_REASONS))
        else:
            note_add(lead=lead, author=actor, body="Asked for a working email address.")
        return False
    if rng.random() < 0.15 or blocking_reasons(lead, "qualify"):
        review_services.activity_log(
            lead=lead,
            author=actor,
            kind="call",
            outcome="left_message",
            summary="Left a voicemail.",
            next_step="Call again",
            next_step_on=timezone.localdate() + timedelta(days=rng.randint(0, 6)),
        )
        return False
    need, budget = rng.choice(NEEDS)
    next_step_on = timezone.localdate() + timedelta(days=rng.randint(-1, 10))
    review_services.lead_qualify_by_person(
        lead=lead,
        actor=actor,
        need=need,
        budget_timing=budget,
        next_step=rng.choice(NEXT_STEPS),
        next_step_on=next_step_on,
    )
    return age > timedelta(days=10) and rng.random() < 0.6


def _duplicates() -> None:
    originals = list(Lead.objects.filter(state__in=[LeadState.QUALIFIED, LeadState.VALIDATED])[:4])
    for original in originals:
        lead = lead_services.lead_create(
            actor="api:partner-x",
            source="partner-api",
            first_name=original.first_name,
            last_name=original.last_name,
            email=original.email.upper(),
            phone="",
            company=original.company + " ",
            country=original.country,
            language=original.language,
            job_title="Operations manager",
            city="Rotterdam",
            company_size=original.company_size,
        )
        lead_services.lead_process(lead_id=lead.pk)
