from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from leadflow.core.exceptions import ApplicationError
from leadflow.leads.models import Lead, LeadState
from leadflow.sync.models import SyncTarget
from leadflow.sync.services import sync_target_resync


class Command(BaseCommand):
    help = "Queue every converted customer for one sync target again (a full re-sync; targets skip known ones)."

    def add_arguments(self, parser):
        parser.add_argument("target", help="The target's name, as in the admin.")
        parser.add_argument("--batch-size", type=int, default=500)

    def handle(self, *args, target: str, batch_size: int, **options):
        sync_target = SyncTarget.objects.filter(name=target).first()
        if sync_target is None:
            known = ", ".join(SyncTarget.objects.values_list("name", flat=True)) or "none configured"
            raise CommandError(f"No sync target named {target!r} (known: {known}).")
        total = Lead.objects.filter(state=LeadState.CONVERTED).count()
        with tqdm(total=total, unit="customer", desc=f"Queueing for {target}") as bar:
            try:
                queued = sync_target_resync(target=sync_target, batch_size=batch_size, progress=bar.update)
            except ApplicationError as error:
                raise CommandError(error.message) from error
        self.stdout.write(self.style.SUCCESS(f"Queued {queued} job(s) for {target}; workers deliver them."))
