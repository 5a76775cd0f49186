from celery import shared_task

from leadflow.quality import services


@shared_task
def retrain_match_model() -> bool:
    """Nightly: learn the match model again when the database has outgrown it. True when it retrained."""
    if not services.match_model_is_stale():
        return False
    return services.match_model_train() is not None
