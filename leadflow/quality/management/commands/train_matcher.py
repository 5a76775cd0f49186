"""Learn the duplicate matcher's weights from the leads in the database (unsupervised, no labels needed)."""

import sys
from functools import partial
from typing import Any

from django.core.management.base import BaseCommand
from tqdm import tqdm

from leadflow.quality.services import MIN_TRAINING_LEADS, match_model_train


class Command(BaseCommand):
    help = "Learn the duplicate matcher's m/u weights and term frequencies from the leads (EM, no labels)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--quiet", action="store_true", help="No progress bars.")

    def handle(self, *args: Any, **options: Any) -> None:
        progress = partial(tqdm, file=sys.stderr, disable=options["quiet"], dynamic_ncols=True)
        model = match_model_train(progress=progress)
        if model is None:
            self.stdout.write(
                f"Too few leads or compared pairs to learn from (at least {MIN_TRAINING_LEADS} leads needed): "
                "the hand-set weights stay in use."
            )
            return
        self.stdout.write(
            f"Learned from {model.records} leads and {model.pairs} compared pairs "
            f"(fields: {', '.join(model.trained_fields)}); chance two random leads are one customer "
            f"{model.match_share:.2e}."
        )
