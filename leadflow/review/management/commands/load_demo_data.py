"""Fill an empty database with a believable sales workspace: people in each role, a team with
assignment rules, response targets and a few months of leads in every state (for demos and screenshots)."""

import random
from datetime import timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone
from tqdm import tqdm

from leadflow.crm.models import Conversion, ConversionStatus, RecordAction
from leadflow.leads import services as lead_services
from leadflow.leads.models import Lead, LeadEvent, LeadState
from leadflow.review import roles
from leadflow.review.models import AssignmentRule, Note, ResponseTarget, SalesProfile, Team, TeamMembership
from leadflow.review.services import note_add

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
REJECTION_REASONS = ["Not our target market", "Spam or test submission", "No budget", "Competitor", "Could not reach"]
PASSWORD = "demo-password-1"  # noqa: S105 (demo accounts in a throw-away database)


class Command(BaseCommand):
    help = "Load demo users, assignment rules and leads into an empty database. Demo password: demo-password-1."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--leads", type=int, default=160, help="How many leads to create (default 160).")
        parser.add_argument("--seed", type=int, default=7)

    def handle(self, *args: Any, leads: int, seed: int, **options: Any) -> None:
        if Lead.objects.exists():
            raise CommandError("The database already holds leads; load demo data only into an empty one.")
        rng = random.Random(seed)
        people = self._people()
        self._rules(people)
        for _ in tqdm(range(leads), desc="Demo leads", unit="lead"):
            self._lead(rng, people)
        self._duplicates(rng)
        self.stdout.write(
            self.style.SUCCESS(
                f"Loaded {Lead.objects.count()} leads. Sign in as any of "
                f"{', '.join(p[0] for p in PEOPLE)} with password {PASSWORD}."
            )
        )

    def _people(self) -> dict[str, Any]:
        people = {}
        for username, group, staff in PEOPLE:
            user = get_user_model().objects.create_user(
                username, f"{username}@leadflow.example", PASSWORD, is_staff=staff
            )
            user.groups.add(Group.objects.get(name=group))
            people[username] = user
        SalesProfile.objects.create(user=people["eva.rep"], away=True)
        return people

    def _rules(self, people: dict[str, Any]) -> None:
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

    @transaction.atomic
    def _lead(self, rng: random.Random, people: dict[str, Any]) -> Lead:
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        company, country, language = rng.choice(COMPANIES)
        domain = company.split()[0].lower() + ".example"
        lead = lead_services.lead_create(
            actor=f"import:{rng.choice(SOURCES)}",
            source=rng.choice(SOURCES),
            first_name=first,
            last_name=last if rng.random() > 0.05 else "",
            email=f"{first.lower()}.{last.split()[-1].lower()}@{domain}"
            if rng.random() > 0.06
            else f"{first}@@{domain}",
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
        self._history(rng, lead, people)
        created = timezone.now() - age
        Lead.objects.filter(pk=lead.pk).update(created_at=created)
        # Spread the recorded events over the lead's life so the timeline and the funnel read naturally.
        # Spread in order: each event after the one before it.
        event_ids = list(lead.events.order_by("id").values_list("pk", flat=True))
        offsets = sorted(rng.uniform(0, 0.5) for _ in event_ids[1:])
        for event_id, offset in zip(event_ids, [0.0, *offsets], strict=True):
            LeadEvent.objects.filter(pk=event_id).update(created_at=created + age * offset)
        for note_event in lead.events.filter(kind=LeadEvent.Kind.NOTE):
            Note.objects.filter(pk=note_event.data["note_id"]).update(created_at=note_event.created_at)
        return lead

    def _history(self, rng: random.Random, lead: Lead, people: dict[str, Any]) -> None:
        actor = lead.owner or people["maria.manager"]
        roll = rng.random()
        if roll < 0.15 and lead.is_open:
            lead_services.lead_reject(lead=lead, actor=actor, reason=rng.choice(REJECTION_REASONS))
        elif roll < 0.45 and lead.state == LeadState.QUALIFIED:
            # Demo conversions record Salesforce ids in Salesforce's format without calling it.
            Conversion.objects.create(
                lead=lead,
                status=ConversionStatus.DONE,
                requested_by=actor,
                completed_at=timezone.now(),
                account_id=f"001DEMO{lead.pk:011d}",
                account_action=RecordAction.CREATED,
                contact_id=f"003DEMO{lead.pk:011d}",
                contact_action=RecordAction.CREATED,
            )
            lead_services.lead_transition(lead=lead, name="convert", actor=actor, reason="Converted in Salesforce.")
        elif roll < 0.6:
            note_add(lead=lead, author=actor, body="Called, asked for a quote next week.")

    def _duplicates(self, rng: random.Random) -> None:
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
