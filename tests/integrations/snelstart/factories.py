import factory
from factory.django import DjangoModelFactory

from leadflow.sync.models import SyncTarget


class SnelStartTargetFactory(DjangoModelFactory):
    class Meta:
        model = SyncTarget

    name = factory.Sequence(lambda n: f"snelstart-{n}")
    kind = "snelstart"
    settings = factory.LazyFunction(
        lambda: {
            "api_url": "http://127.0.0.1:9/v2",
            "auth_url": "http://127.0.0.1:9/b2b/token",
            "subscription_key": "sub",
            "client_key": "key",
            "calls_per_minute": 60,
            "leading_contact": "leadflow",
            "leading_company": "leadflow",
            "leading_address": "target",
        }
    )
