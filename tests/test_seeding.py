import pytest
from django.core.management import call_command

from leadflow.integrations.salesforce.models import FieldMapping, OpportunitySettings
from leadflow.qualification.models import QualificationRule, QualificationSettings
from leadflow.quality.models import FieldWeight, MatchSettings


@pytest.mark.django_db(transaction=True)
def test_flushing_the_database_keeps_the_seeded_settings_mappings_and_criteria():
    call_command("flush", interactive=False, verbosity=0)
    assert MatchSettings.objects.get(pk=1).prior == -5.0
    assert FieldWeight.objects.filter(settings_id=1).count() > 10
    assert OpportunitySettings.objects.exists() and FieldMapping.objects.filter(sobject="Account").exists()
    assert QualificationSettings.objects.exists() and QualificationRule.objects.count() == 6
