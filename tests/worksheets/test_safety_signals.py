"""A safety signal in a saved part reaches the counselors at once, and nothing else.

Saving (not only submitting) a part whose answer counts as a signal raises an urgent alert and
writes its notice to the counselors as an outbox row, in the same transaction. The notice says
only that an alert is waiting; no answer, no name, no worksheet title leaves in it.
"""

import datetime as dt

import pytest
from django.core import mail
from django.db import transaction
from django.utils import timezone

from tests.conftest import portal_sign_in
from therapy.alerts import AcknowledgementError, acknowledge
from therapy.models import Alert
from worksheets.assignments import assign_to_partners, assign_worksheet
from worksheets.models import Reminder
from worksheets.outbox import claim_due_reminders, send_reminder
from worksheets.responses import save_draft, submit_response

SENTINEL = "SENTINEL-he-took-my-phone-7731"


@pytest.fixture
def safety_check(library):
    return library.get(slug="safety-check")


@pytest.fixture
def support_preferences(library):
    return library.get(slug="support-preferences")


def _assign(couple, template, maya, now, partner=None):
    [assignment] = assign_to_partners(
        couple=couple,
        template=template,
        partner=partner,
        due_at=now + dt.timedelta(days=5),
        assigned_by=maya,
        now=now,
    )
    return assignment


def _send_due(now):
    """Send every due outbox row the way the worker does."""
    return [
        send_reminder(reminder_id=pk, now=now) for pk in claim_due_reminders(now=now, limit=100)
    ]


def test_a_signal_in_a_saved_draft_raises_an_urgent_alert_and_its_notice_together(
    couple, partner_a, support_preferences, maya, now
):
    assignment = _assign(couple, support_preferences, maya, now)
    response = assignment.responses.get(partner=partner_a)
    save_draft(
        response_id=response.pk,
        partner=partner_a,
        answers={"afraid_to_say_no": 5},
        now=now,
        item_keys={"afraid_to_say_no"},
    )
    alert = Alert.objects.get(kind=Alert.Kind.SAFETY)
    assert alert.is_open and alert.response == response
    assert alert.signal_keys == ["afraid_to_say_no"]
    notice = Reminder.objects.get(kind=Reminder.Kind.SAFETY_NOTICE)
    assert notice.alert == alert
    assert notice.due_at == now and notice.status == Reminder.Status.PENDING


def test_the_alert_and_its_notice_are_written_in_one_transaction(
    couple, partner_a, support_preferences, maya, now
):
    """If the save is rolled back, neither exists: there is never an alert nobody is told of,
    nor a notice of an alert that is not there."""
    assignment = _assign(couple, support_preferences, maya, now)
    response = assignment.responses.get(partner=partner_a)

    class Interrupted(Exception):
        pass

    with pytest.raises(Interrupted), transaction.atomic():
        save_draft(
            response_id=response.pk,
            partner=partner_a,
            answers={"afraid_to_say_no": 4},
            now=now,
            item_keys={"afraid_to_say_no"},
        )
        assert Alert.objects.filter(kind=Alert.Kind.SAFETY).count() == 1
        assert Reminder.objects.filter(kind=Reminder.Kind.SAFETY_NOTICE).count() == 1
        raise Interrupted
    assert not Alert.objects.filter(kind=Alert.Kind.SAFETY).exists()
    assert not Reminder.objects.filter(kind=Reminder.Kind.SAFETY_NOTICE).exists()


def test_an_answer_that_is_not_a_signal_raises_nothing(
    couple, partner_a, support_preferences, maya, now
):
    assignment = _assign(couple, support_preferences, maya, now)
    response = assignment.responses.get(partner=partner_a)
    for answer in (1, 2, 3):
        save_draft(
            response_id=response.pk,
            partner=partner_a,
            answers={"afraid_to_say_no": answer},
            now=now,
            item_keys={"afraid_to_say_no"},
        )
    assert not Alert.objects.filter(kind=Alert.Kind.SAFETY).exists()
    assert not Reminder.objects.filter(kind=Reminder.Kind.SAFETY_NOTICE).exists()


def test_the_notice_reaches_every_counselor_of_the_couple_and_carries_no_answer(
    client, couple, partner_a, safety_check, maya, daniel, now, caplog
):
    caplog.set_level("DEBUG")
    couple.counselors.add(daniel)
    assignment = _assign(couple, safety_check, maya, now, partner=partner_a)
    response = assignment.responses.get(partner=partner_a)
    _send_due(now)  # the invitation
    mail.outbox.clear()
    portal_sign_in(client, partner_a)
    page = client.post(
        f"/portal/worksheets/{response.pk}/?step=1",
        {"phone_and_people": "often", "anything_else": SENTINEL, "action": "save"},
    )
    assert page.status_code == 302
    assert _send_due(timezone.now()) == ["sent"]
    [notice] = mail.outbox
    assert sorted(notice.to) == sorted([maya.user.email, daniel.user.email])
    assert "urgent alert is waiting" in notice.body
    assert f"/admin/clients/couple/{couple.pk}/overview/" in notice.body
    text = notice.subject + notice.body
    for secret in (SENTINEL, "often", "phone", partner_a.display_name, couple.label):
        assert secret.lower() not in text.lower()
    assert "how things are at home" not in text.lower()
    assert "List-Unsubscribe" not in notice.extra_headers
    assert SENTINEL not in caplog.text
    assert "often" not in caplog.text


def test_the_notice_goes_even_after_the_work_is_submitted(
    couple, partner_a, support_preferences, maya, now
):
    """A reminder stops once the work is in; the counselors' notice never does."""
    assignment = _assign(couple, support_preferences, maya, now)
    response = assignment.responses.get(partner=partner_a)
    _send_due(now)
    mail.outbox.clear()
    answers = {
        "first_need": "listen",
        "helpful_ways": ["listen_no_fix"],
        "less_helpful_ways": ["jokes"],
        "afraid_to_say_no": 5,
    }
    save_draft(response_id=response.pk, partner=partner_a, answers=answers, now=now, item_keys=None)
    # Handed in before the notice went out: the notice still goes, the reminders stop.
    submit_response(response_id=response.pk, partner=partner_a, answers=answers, now=now)
    assert _send_due(now) == ["sent"]
    assert Reminder.objects.get(kind=Reminder.Kind.SAFETY_NOTICE).status == "sent"
    assert "urgent alert" in mail.outbox[0].body


def test_saving_the_same_signal_again_raises_no_second_alert(
    couple, partner_a, safety_check, maya, now
):
    assignment = _assign(couple, safety_check, maya, now, partner=partner_a)
    response = assignment.responses.get(partner=partner_a)
    for minutes in range(3):
        save_draft(
            response_id=response.pk,
            partner=partner_a,
            answers={"felt_scared": "sometimes"},
            now=now + dt.timedelta(minutes=minutes),
            item_keys={"felt_scared"},
        )
    assert Alert.objects.filter(kind=Alert.Kind.SAFETY).count() == 1
    assert Reminder.objects.filter(kind=Reminder.Kind.SAFETY_NOTICE).count() == 1


def test_a_new_signal_while_the_alert_is_open_joins_it_and_after_acknowledging_raises_anew(
    couple, partner_a, safety_check, maya, now
):
    assignment = _assign(couple, safety_check, maya, now, partner=partner_a)
    response = assignment.responses.get(partner=partner_a)

    def save(key, value):
        save_draft(
            response_id=response.pk,
            partner=partner_a,
            answers={key: value},
            now=now,
            item_keys={key},
        )

    save("felt_scared", "rarely")
    save("threatened", "often")
    alert = Alert.objects.get(kind=Alert.Kind.SAFETY)
    assert alert.signal_keys == ["felt_scared", "threatened"]
    assert Reminder.objects.filter(kind=Reminder.Kind.SAFETY_NOTICE).count() == 1
    acknowledge(
        alerts=Alert.objects.filter(pk=alert.pk),
        counselor=maya,
        now=now,
        note="Called Sam on her own; safety plan made.",
    )
    save("hurt_on_purpose", "sometimes")
    assert Alert.objects.filter(kind=Alert.Kind.SAFETY).count() == 2
    assert Alert.objects.filter(kind=Alert.Kind.SAFETY, acknowledged_at__isnull=True).count() == 1
    assert Reminder.objects.filter(kind=Reminder.Kind.SAFETY_NOTICE).count() == 2


def test_a_signal_on_the_final_submit_raises_the_alert_too(
    couple, partner_a, support_preferences, maya, now
):
    assignment = _assign(couple, support_preferences, maya, now)
    response = assignment.responses.get(partner=partner_a)
    submit_response(
        response_id=response.pk,
        partner=partner_a,
        answers={"afraid_to_say_no": 4},
        now=now,
    )
    assert Alert.objects.filter(kind=Alert.Kind.SAFETY, response=response).exists()


def test_an_urgent_alert_is_acknowledged_only_with_a_note_which_stays_in_the_record(
    couple, partner_a, support_preferences, maya, now
):
    assignment = _assign(couple, support_preferences, maya, now)
    response = assignment.responses.get(partner=partner_a)
    save_draft(
        response_id=response.pk,
        partner=partner_a,
        answers={"afraid_to_say_no": 5},
        now=now,
        item_keys={"afraid_to_say_no"},
    )
    alerts = Alert.objects.filter(kind=Alert.Kind.SAFETY)
    with pytest.raises(AcknowledgementError):
        acknowledge(alerts=alerts, counselor=maya, now=now, note="   ")
    assert alerts.get().is_open
    later = now + dt.timedelta(hours=2)
    assert acknowledge(alerts=alerts, counselor=maya, now=later, note="Spoke with Sam alone.")
    alert = alerts.get()
    assert (alert.acknowledged_by, alert.acknowledged_at, alert.follow_up_note) == (
        maya,
        later,
        "Spoke with Sam alone.",
    )


def test_a_safety_check_for_both_goes_to_each_partner_as_work_of_their_own(
    couple, partner_a, partner_b, safety_check, maya, now
):
    assignments = assign_to_partners(
        couple=couple,
        template=safety_check,
        partner=None,
        due_at=now + dt.timedelta(days=3),
        assigned_by=maya,
        now=now,
    )
    assert sorted(a.only_partner_id for a in assignments) == sorted([partner_a.pk, partner_b.pk])
    for assignment in assignments:
        assert [r.partner_id for r in assignment.responses.all()] == [assignment.only_partner_id]


def test_safety_check_messages_never_name_the_worksheet(couple, partner_a, safety_check, maya, now):
    partner_a.channel = "sms"
    partner_a.phone = "+15555550100"
    partner_a.save()
    assign_worksheet(
        couple=couple,
        template=safety_check,
        due_at=now + dt.timedelta(days=3),
        assigned_by=maya,
        now=now,
        for_partner=partner_a,
    )
    from clients.models import Partner
    from worksheets.outbox import compose

    invitation = Reminder.objects.get(kind=Reminder.Kind.INVITATION)
    sms = compose(invitation, now=now, token="t")
    Partner.objects.filter(pk=partner_a.pk).update(channel="email")
    invitation.channel = "email"
    email = compose(invitation, now=now, token="t")
    for message in (sms, email):
        text = (message.subject + message.body).lower()
        assert "how things are at home" not in text
        assert "safety" not in text
        assert "message from your counselor" in text or "short questions" in text
