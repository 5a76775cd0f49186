import uuid

import factory
from factory.django import DjangoModelFactory

from leadflow.sync.models import SyncTarget


class BusinessCentralTargetFactory(DjangoModelFactory):
    class Meta:
        model = SyncTarget

    name = factory.Sequence(lambda n: f"businesscentral-{n}")
    kind = "businesscentral"
    settings = factory.LazyFunction(
        lambda: {
            "login_url": "http://127.0.0.1:9",
            "api_url": "http://127.0.0.1:9/v2.0",
            "tenant_id": str(uuid.uuid4()),
            "environment": "production",
            "company_id": str(uuid.uuid4()),
            "client_id": "client",
            "client_secret": "secret",
            "number_prefix": "LF",
            "calls_per_five_minutes": 6000,
            "leading_contact": "leadflow",
            "leading_company": "leadflow",
            "leading_address": "target",
        }
    )
