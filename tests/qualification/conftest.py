import pytest

from leadflow.qualification.models import QualificationRule
from leadflow.qualification.selectors import qualification_settings_get


@pytest.fixture
def criteria(db):
    """Start each test from no rules and thresholds 60 / 30 (instead of the example criteria the migration adds)."""
    QualificationRule.objects.all().delete()
    settings_row = qualification_settings_get()
    settings_row.qualify_at, settings_row.reject_below = 60, 30
    settings_row.save()
    return settings_row
