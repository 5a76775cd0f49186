"""manage.py salesforce_sandbox: run the local Salesforce org the CRM client can talk to."""

from django.core.management.base import BaseCommand

from standins.salesforce import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, run


class Command(BaseCommand):
    help = "Run the local Salesforce sandbox (REST API wire format, data in SQLite)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8765)
        parser.add_argument("--db", default="var/salesforce-sandbox.sqlite3")
        parser.add_argument("--api-limit", type=int, default=15000)

    def handle(self, *args, host: str, port: int, db: str, api_limit: int, **options) -> None:
        self.stdout.write(f"Salesforce sandbox at http://{host}:{port}")
        self.stdout.write(f"Client id: {DEFAULT_CLIENT_ID}  client secret: {DEFAULT_CLIENT_SECRET}")
        self.stdout.write(f"Data in {db}; control API at http://{host}:{port}/_sandbox/")
        self.stdout.flush()
        run(host, port, db, api_limit=api_limit)
