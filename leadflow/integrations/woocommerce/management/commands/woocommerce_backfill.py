"""``manage.py woocommerce_backfill STORE``: read a shop's existing customers and orders here and now."""

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from leadflow.integrations.woocommerce.models import WooBackfill, WooStore
from leadflow.integrations.woocommerce.services import backfill_run, backfill_start


class Command(BaseCommand):
    help = "Back-fill a WooCommerce store's customers and orders (resumes one under way), with a progress bar."

    def add_arguments(self, parser):
        parser.add_argument("store", help="The store's name in Leadflow.")

    def handle(self, *args, store, **options):
        shop = WooStore.objects.filter(name=store).first()
        if shop is None:
            raise CommandError(f"No WooCommerce store named {store!r}.")
        for backfill in backfill_start(store=shop, in_worker=False):
            with tqdm(desc=backfill.collection, unit=backfill.collection[:-1], initial=backfill.processed) as bar:
                result = backfill_run(backfill_id=backfill.pk, progress=lambda b: _show(bar, b))
            self._report(backfill, result)

    def _report(self, backfill: WooBackfill, result: WooBackfill | None) -> None:
        if result is None:
            self.stdout.write(f"{backfill.collection}: another worker is running this back-fill; not started twice.")
        else:
            self.stdout.write(f"{result.collection}: {result.get_state_display()}, {result.processed} read.")
            if result.error:
                self.stdout.write(result.error)


def _show(bar: tqdm, backfill: WooBackfill) -> None:
    bar.total = backfill.total
    bar.n = backfill.processed
    bar.refresh()
