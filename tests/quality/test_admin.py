import pytest
from django.urls import reverse

from leadflow.quality.models import FieldWeight, MatchSettings

pytestmark = pytest.mark.django_db


def test_staff_edit_thresholds_and_weights_in_the_admin(client, staff_user):
    client.force_login(staff_user)
    url = reverse("admin:quality_matchsettings_change", args=[1])
    page = client.get(url)
    assert page.status_code == 200
    assert b"national_id" in page.content
    assert client.get(reverse("admin:quality_matchsettings_add")).status_code == 403


def test_rules_and_weights_exist_by_default():
    settings_row = MatchSettings.objects.get(pk=1)
    assert (settings_row.auto_threshold, settings_row.review_threshold) == (0.9, 0.6)
    assert FieldWeight.objects.filter(settings=settings_row).count() == 14


def test_people_without_staff_rights_cannot_see_the_match_settings(client, user):
    client.force_login(user)
    page = client.get(reverse("admin:quality_matchsettings_change", args=[1]))
    assert page.status_code == 302
