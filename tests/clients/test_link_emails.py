"""A fresh link a partner asks for is a row: sent once, and its failures written down."""

from django.core import mail
from django.utils import timezone

from clients.links import request_fresh_link, send_link_email
from clients.models import LinkEmail, PortalLink


def test_a_requested_link_is_sent_once_even_if_the_task_runs_twice(partner_a):
    now = timezone.now()
    row = request_fresh_link(partner=partner_a, now=now)
    assert send_link_email(link_email_id=row.pk, now=now) == "sent"
    assert send_link_email(link_email_id=row.pk, now=now) == "done before"
    [message] = mail.outbox
    assert message.to == [partner_a.email] and "/p/" in message.body
    assert PortalLink.objects.filter(partner=partner_a).count() == 1
    row.refresh_from_db()
    assert (row.status, row.sent_at) == ("sent", now)


def test_a_refused_link_email_is_recorded_without_the_link(partner_a, settings):
    settings.EMAIL_BACKEND = "tests.worksheets.failing_mail.RefusingBackend"
    now = timezone.now()
    row = request_fresh_link(partner=partner_a, now=now)
    assert send_link_email(link_email_id=row.pk, now=now) == "failed"
    row.refresh_from_db()
    assert row.status == LinkEmail.Status.FAILED and row.last_error
    assert "/p/" not in row.last_error
