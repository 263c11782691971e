"""A fresh link a partner asks for is an outbox row like every message: sent once, and its
failures written down."""

from django.core import mail
from django.utils import timezone

from clients.models import PortalLink
from worksheets.models import Reminder
from worksheets.outbox import claim_due_reminders, send_batch
from worksheets.reminders import request_link


def test_a_requested_link_is_sent_once_even_if_the_batch_runs_twice(partner_a):
    now = timezone.now()
    row = request_link(partner=partner_a, now=now)
    assert claim_due_reminders(now=now, limit=10) == [row.pk]
    assert send_batch([row.pk]) == {row.pk: "sent"}
    assert send_batch([row.pk]) == {}
    [message] = mail.outbox
    assert message.to == [partner_a.email] and "/p/" in message.body
    assert PortalLink.objects.filter(partner=partner_a).count() == 1
    row.refresh_from_db()
    assert row.status == Reminder.Status.SENT and row.sent_at is not None


def test_a_refused_link_email_is_recorded_without_the_link(partner_a, settings):
    settings.EMAIL_BACKEND = "tests.worksheets.failing_mail.RefusingBackend"
    now = timezone.now()
    row = request_link(partner=partner_a, now=now)
    claim_due_reminders(now=now, limit=10)
    assert send_batch([row.pk]) == {row.pk: "failed"}
    row.refresh_from_db()
    assert row.status == Reminder.Status.FAILED and row.last_error
    assert "/p/" not in row.last_error
