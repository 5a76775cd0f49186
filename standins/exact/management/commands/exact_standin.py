"""Run the local Exact Online stand-in: ``manage.py exact_standin``."""

from django.core.management.base import BaseCommand

from standins.exact import StandinConfig, run


class Command(BaseCommand):
    help = "Serve a local stand-in for Exact Online's REST API and OAuth2."

    def add_arguments(self, parser):
        defaults = StandinConfig()
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8766)
        parser.add_argument("--db", default="var/exact-standin.sqlite3")
        parser.add_argument("--redirect-uri", default=defaults.redirect_uri)

    def handle(self, *args, host, port, db, redirect_uri, **options):
        config = StandinConfig(redirect_uri=redirect_uri)
        base_url = f"http://{host}:{port}"
        self.stdout.write(
            f"Exact Online stand-in at {base_url} (data in {db})\n"
            f"  client_id:     {config.client_id}\n"
            f"  client_secret: {config.client_secret}\n"
            f"  redirect_uri:  {config.redirect_uri}\n"
            f"  division:      {config.division}\n"
            f"  control API:   {base_url}/_standin/\n"
            "Quit with CONTROL-C."
        )
        run(host, port, db, redirect_uri=redirect_uri)
