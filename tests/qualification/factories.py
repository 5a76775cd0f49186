import factory
from factory.django import DjangoModelFactory

from leadflow.qualification.models import SETTINGS_PK, QualificationRule


class RuleFactory(DjangoModelFactory):
    """A weighted rule; pass field/operator/value (and hard=True for a requirement)."""

    class Meta:
        model = QualificationRule

    qualification_settings_id = SETTINGS_PK
    order = factory.Sequence(lambda n: n)
    field = "country"
    operator = "equals"
    value = "NL"
    weight = 10
