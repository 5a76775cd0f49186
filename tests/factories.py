import factory
from django.contrib.auth import get_user_model
from factory.django import DjangoModelFactory

from leadflow.leads.models import Lead, SourceKind


class UserFactory(DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@leadflow.test")
    password = factory.django.Password("correct horse battery staple")


class LeadFactory(DjangoModelFactory):
    """A clean Dutch B2B lead. Pass `state=` to start elsewhere in the machine."""

    class Meta:
        model = Lead

    first_name = factory.Faker("first_name", locale="nl_NL")
    last_name = factory.Faker("last_name", locale="nl_NL")
    email = factory.Sequence(lambda n: f"contact{n}@example-company{n}.nl")
    phone = factory.Sequence(lambda n: f"+3120{n % 10_000_000:07d}")
    company = factory.Faker("company", locale="nl_NL")
    country = "NL"
    city = "Amsterdam"
    source_kind = SourceKind.API
    source = "tests"
