from django.core.management.base import BaseCommand

from leadflow.leads.demo import demo_admin_credentials, demo_leads_create
from leadflow.leads.selectors import lead_state_counts


class Command(BaseCommand):
    help = "Create the demo admin login and demo leads in several states (once; safe to run again)."

    def handle(self, *args: object, **options: object) -> None:
        username, password = demo_admin_credentials()
        created = demo_leads_create()
        counts = ", ".join(f"{state}: {n}" for state, n in sorted(lead_state_counts().items()))
        self.stdout.write(f"Demo leads created: {created} (all leads by state — {counts})")
        self.stdout.write(self.style.SUCCESS(f"Admin login: {username} / {password}"))
