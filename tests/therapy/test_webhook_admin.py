"""Webhook subscriptions in the dashboard: a practice admin subscribes the practice's systems,
sees the signing secret once, rotates it and follows the deliveries; counselors and other
practices see none. The delivery log shows webhook rows with the rest."""

import re

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.conftest import login
from tests.database_text import stored_text
from tests.factories import CounselorFactory, UserFactory
from therapy import webhooks
from therapy.models import Counselor, WebhookSubscription
from worksheets.models import Reminder

ADD = reverse("admin:therapy_webhooksubscription_add")
LIST = reverse("admin:therapy_webhooksubscription_changelist")
DELIVERY_LOG = reverse("admin:worksheets_reminder_changelist")
SECRET = re.compile(r"whsec_[A-Za-z0-9+/]+=*")


def page_of(subscription):
    return reverse("admin:therapy_webhooksubscription_change", args=[subscription.pk])


@pytest.fixture(autouse=True)
def _local_receivers(settings):
    settings.WEBHOOK_ALLOW_LOCAL_HTTP = True


@pytest.fixture
def other_admin(outsider):
    """The practice admin of another practice."""
    return CounselorFactory(
        practice=outsider.practice,
        user=UserFactory(username="otto"),
        role=Counselor.Role.PRACTICE_ADMIN,
    )


def subscribe(practice, url="http://127.0.0.1:8765/hooks", events=("response.submitted",)):
    return webhooks.create_subscription(
        practice=practice, url=url, events=list(events), created_by=None, now=timezone.now()
    )


def test_a_practice_admin_subscribes_and_sees_the_secret_once(client, priya):
    login(client, priya)
    page = client.post(
        ADD,
        {"url": "http://127.0.0.1:8765/hooks", "events": ["response.submitted", "alert.raised"]},
        follow=True,
    )
    [secret] = SECRET.findall(page.content.decode())
    subscription = WebhookSubscription.objects.get()
    assert subscription.practice == priya.practice
    assert subscription.events == ["alert.raised", "response.submitted"]
    assert subscription.secret == secret
    # The Standard Webhooks format: whsec_ and the base64 of 24 to 64 random bytes.
    assert 24 <= len(webhooks.secret_bytes(secret)) <= 64
    assert secret not in client.get(page_of(subscription)).content.decode()
    assert secret not in client.get(LIST).content.decode()
    assert secret not in stored_text(decrypted=False)  # kept encrypted


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("http://hooks.example.org/in", "Use an https address."),
        ("https://10.1.2.3/in", "private network"),
        ("https://169.254.169.254/latest/meta-data", "private network"),
        ("https://192.168.0.10/in", "private network"),
        ("https://[fd00::1]/in", "private network"),
    ],
)
def test_an_address_that_is_not_public_https_is_refused(client, priya, url, problem):
    login(client, priya)
    page = client.post(ADD, {"url": url, "events": ["alert.raised"]})
    assert page.status_code == 200
    assert problem in page.content.decode()
    assert not WebhookSubscription.objects.exists()


def test_plain_http_to_this_machine_needs_the_local_setting(client, priya, settings):
    settings.WEBHOOK_ALLOW_LOCAL_HTTP = False
    login(client, priya)
    page = client.post(ADD, {"url": "http://127.0.0.1:8765/hooks", "events": ["alert.raised"]})
    assert "Use an https address." in page.content.decode()
    page = client.post(ADD, {"url": "https://127.0.0.1:8765/hooks", "events": ["alert.raised"]})
    assert "private network" in page.content.decode()
    assert not WebhookSubscription.objects.exists()


def test_counselors_see_no_subscriptions(client, maya, practice):
    subscription, _ = subscribe(practice)
    login(client, maya)
    assert client.get(LIST).status_code == 403
    assert client.get(ADD).status_code == 403
    assert client.get(page_of(subscription)).status_code == 404
    assert "webhook" not in client.get("/admin/").content.decode().lower()


def test_another_practices_admin_sees_none_of_ours(client, priya, other_admin, practice):
    ours, _ = subscribe(practice, url="http://127.0.0.1:8765/ours")
    subscribe(other_admin.practice, url="http://127.0.0.1:8765/theirs")
    login(client, other_admin)
    page = client.get(LIST).content.decode()
    assert "/theirs" in page and "/ours" not in page
    assert client.get(page_of(ours)).status_code == 404
    assert client.post(page_of(ours), {"url": "http://127.0.0.1:1/x"}).status_code == 404
    client.post(LIST, {"action": "rotate_secrets", "_selected_action": [ours.pk]})
    ours.refresh_from_db()
    assert ours.secret_rotated_at is None


def test_a_practice_admin_rotates_the_secret_and_sees_the_new_one_once(client, priya, practice):
    subscription, old = subscribe(practice)
    login(client, priya)
    page = client.post(
        LIST, {"action": "rotate_secrets", "_selected_action": [subscription.pk]}, follow=True
    )
    [new] = SECRET.findall(page.content.decode())
    subscription.refresh_from_db()
    assert new != old and subscription.secret == new
    assert new not in client.get(page_of(subscription)).content.decode()


def test_a_practice_admin_pauses_and_resumes_a_subscription(client, priya, practice):
    subscription, _ = subscribe(practice)
    webhooks.pause_subscription(subscription_id=subscription.pk, reason="The receiver is gone.")
    login(client, priya)
    client.post(
        page_of(subscription),
        {"url": subscription.url, "events": ["alert.raised"], "status": "active"},
    )
    subscription.refresh_from_db()
    assert (subscription.status, subscription.paused_reason) == ("active", "")
    assert subscription.events == ["alert.raised"]


def test_a_subscriptions_page_lists_its_recent_deliveries(client, priya, practice, partner_a):
    subscription, _ = subscribe(practice)
    now = timezone.now()
    Reminder.objects.create(
        partner=partner_a,
        kind=Reminder.Kind.WEBHOOK,
        channel="webhook",
        due_at=now,
        created_at=now,
        subscription=subscription,
        event_id="msg_1",
        event_type="response.submitted",
        payload={},
        status=Reminder.Status.PENDING,
        attempts=2,
        last_error="HTTP 503",
        response_code=503,
    )
    login(client, priya)
    page = client.get(page_of(subscription)).content.decode()
    row = re.search(r"<tr><td><a href=[^>]+>[^<]+</a></td>(.*?)</tr>", page).group(1)
    cells = re.findall(r"<td>(.*?)</td>", row)
    assert cells == ["response.submitted", "Pending", "2", "503", "HTTP 503"]


def test_the_delivery_log_shows_webhooks_filtered_by_kind_and_resends_a_failed_one(
    client, maya, practice, partner_a
):
    subscription, _ = subscribe(practice)
    now = timezone.now()
    row = Reminder.objects.create(
        partner=partner_a,
        kind=Reminder.Kind.WEBHOOK,
        channel="webhook",
        due_at=now,
        created_at=now,
        subscription=subscription,
        event_id="msg_2",
        event_type="response.submitted",
        payload={},
        status=Reminder.Status.FAILED,
        attempts=5,
        last_error="HTTP 503",
        response_code=503,
    )
    login(client, maya)
    page = client.get(DELIVERY_LOG, {"kind": "webhook"}).content.decode()
    assert "Webhook to the practice&#x27;s systems" in page and "HTTP 503" in page
    # The row names the receiver's host, never its address, which may carry a key.
    row_page = client.get(reverse("admin:worksheets_reminder_change", args=[row.pk]))
    assert "127.0.0.1" in row_page.content.decode()
    assert subscription.url not in row_page.content.decode()
    client.post(DELIVERY_LOG, {"action": "resend_selected", "_selected_action": [row.pk]})
    row.refresh_from_db()
    assert (row.status, row.attempts, row.event_id) == (Reminder.Status.PENDING, 0, "msg_2")
