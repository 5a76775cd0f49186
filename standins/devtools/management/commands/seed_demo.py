from typing import Any

from django.core.management.base import BaseCommand

from leadflow.leads.selectors import lead_state_counts
from standins.devtools.demo import PEOPLE, demo_password, demo_people_ensure, demo_workspace_create


class Command(BaseCommand):
    help = (
        "Create the demo logins (one per role) and, in an empty database, a demo workspace of leads in every state. "
        "Safe to run again: leads are made once; the logins' password is kept in $LEADFLOW_DATA_DIR/demo-password."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--leads", type=int, default=160, help="How many leads to create (default 160).")
        parser.add_argument("--seed", type=int, default=7, help="Random seed, for the same workspace every time.")
        parser.add_argument("--password", help="Password for every demo login (default: generated once, then kept).")

    def handle(self, *args: Any, leads: int, seed: int, password: str | None, **options: Any) -> None:
        password = password or demo_password()
        people = demo_people_ensure(password=password)
        created = demo_workspace_create(people=people, leads=leads, seed=seed)
        counts = ", ".join(f"{state}: {n}" for state, n in sorted(lead_state_counts().items()))
        self.stdout.write(f"Demo leads created: {created} (leads by state — {counts}).")
        self.stdout.write("Qualified demo leads picked for conversion are converted by the worker in Salesforce.")
        logins = ", ".join(username for username, _, _ in PEOPLE)
        self.stdout.write(self.style.SUCCESS(f"Admin login: admin / {password}  (same password for {logins})"))
