"""Run the local Pipedrive stand-in: ``manage.py pipedrive_standin``."""

import threading

from django.conf import settings
from django.core.management.base import BaseCommand

from standins.pipedrive import PipedriveStandin


class Command(BaseCommand):
    help = "Serve a local stand-in for Pipedrive's API v2 (records in memory) and send v2 webhooks to Leadflow."

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=8767)

    def handle(self, *args, port, **options):
        account = PipedriveStandin(port=port).start()
        hook = f"{settings.LEADFLOW_BASE_URL}/integrations/pipedrive/webhook/"
        if settings.PIPEDRIVE_WEBHOOK_PASSWORD:
            # As an admin would in Settings > Webhooks: change.deal to Leadflow, with basic-auth credentials.
            account.add_webhook(
                subscription_url=hook,
                event_action="change",
                event_object="deal",
                http_auth_user=settings.PIPEDRIVE_WEBHOOK_USER,
                http_auth_password=settings.PIPEDRIVE_WEBHOOK_PASSWORD,
            )
        webhook = (
            hook
            if settings.PIPEDRIVE_WEBHOOK_PASSWORD
            else "none (set PIPEDRIVE_WEBHOOK_PASSWORD); won deals are polled"
        )
        self.stdout.write(
            f"Pipedrive stand-in at {account.url} (records in memory)\n"
            f"  x-api-token:   {account.api_token}\n"
            f"  webhook:       {webhook}\n"
            f"  win a deal:    curl -X POST {account.url}/_standin/deals/<id>/win\n"
            "Quit with CONTROL-C."
        )
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            account.stop()
