import pytest
from django.urls import reverse

from leadflow.sync import services
from leadflow.sync.models import JobState, SyncTarget
from tests.sync.factories import ExactTargetFactory, WebhookTargetFactory, converted_lead

pytestmark = pytest.mark.django_db(transaction=True)


def webhook_form(**changes) -> dict:
    return {
        "name": "erp",
        "enabled": "on",
        "settings_url": "https://erp.example.com/hooks",
        "settings_secret": "",
        "settings_events": ["customer.converted"],
        "settings_timeout_seconds": "10",
    } | changes


def test_admin_adds_a_webhook_target_with_a_generated_secret(client, staff_user):
    client.force_login(staff_user)
    response = client.post(reverse("admin:sync_synctarget_add") + "?kind=webhook", webhook_form())
    assert response.status_code == 302
    target = SyncTarget.objects.get(name="erp")
    assert target.kind == "webhook"
    assert target.settings["url"] == "https://erp.example.com/hooks"
    assert len(target.settings["secret"]) >= 32


def test_admin_never_shows_the_secret_and_keeps_it_when_left_empty(client, staff_user):
    target = WebhookTargetFactory(name="erp")
    client.force_login(staff_user)
    url = reverse("admin:sync_synctarget_change", args=[target.pk])

    assert "s3cret" not in client.get(url).content.decode()
    client.post(url, webhook_form(settings_url="https://new.example.com/"))

    target.refresh_from_db()
    assert target.settings["secret"] == "s3cret"
    assert target.settings["url"] == "https://new.example.com/"


def test_invalid_webhook_settings_are_refused_with_the_reason(client, staff_user):
    client.force_login(staff_user)
    response = client.post(reverse("admin:sync_synctarget_add"), webhook_form(settings_url="not a url"))
    assert response.status_code == 200
    assert "Enter a valid URL" in response.content.decode()
    assert not SyncTarget.objects.exists()


def test_exact_field_mapping_must_name_exact_properties_and_payload_fields(client, staff_user):
    target = ExactTargetFactory(name="exact-nl")
    client.force_login(staff_user)
    response = client.post(
        reverse("admin:sync_synctarget_change", args=[target.pk]),
        {
            "name": "exact-nl",
            "enabled": "on",
            "settings_division": "123456",
            "settings_field_mapping": '{"Name": "customer.company", "Bogus": "customer.email", "City": "lead.town"}',
        },
    )
    html = response.content.decode()
    assert "&#x27;Bogus&#x27; is not an Exact account property" in html
    assert "&#x27;lead.town&#x27; (for City) is not a payload field" in html


def test_exact_target_page_offers_the_connect_button(client, staff_user):
    target = ExactTargetFactory()
    client.force_login(staff_user)
    html = client.get(reverse("admin:sync_synctarget_change", args=[target.pk])).content.decode()
    assert reverse("exact:connect", args=[target.pk]) in html
    assert "Not connected" in html


def test_a_generated_secret_is_shown_once_after_saving_so_the_receiver_can_verify(client, staff_user):
    client.force_login(staff_user)
    page = client.post(reverse("admin:sync_synctarget_add") + "?kind=webhook", webhook_form(), follow=True)

    target = SyncTarget.objects.get(name="erp")
    change_page = client.get(reverse("admin:sync_synctarget_change", args=[target.pk]))
    assert target.settings["secret"] in page.content.decode()
    assert target.settings["secret"] not in change_page.content.decode()


def test_switching_a_target_on_in_the_admin_clears_the_old_reason_and_delivers_held_jobs(client, staff_user, receiver):
    target = WebhookTargetFactory(
        name="erp",
        enabled=False,
        disabled_reason="The receiver answered 410 Gone",
        settings={"url": receiver.url, "secret": "s3cret", "events": ["customer.converted"], "timeout_seconds": 2},
    )
    lead, conversion = converted_lead()
    [job] = services.outbox_enqueue_conversion(lead=lead, conversion=conversion)
    client.force_login(staff_user)

    client.post(
        reverse("admin:sync_synctarget_change", args=[target.pk]),
        webhook_form(settings_url=receiver.url, settings_secret=""),
    )

    target.refresh_from_db()
    job.refresh_from_db()
    assert target.enabled and target.disabled_reason == ""
    assert job.state == JobState.DONE
    assert receiver.deliveries() == {str(job.uuid)}
