"""The API's sessions: booked, moved and called off by the dashboard's rules, the "before your
session" nudges following each change exactly as they follow a session booked on the
dashboard."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.conftest import login
from tests.therapy.test_api_couples import ROLES, key_headers, pointers, send, sign_in
from therapy.models import CounselingSession
from therapy.sessions import schedule_session
from worksheets.assignments import assign_worksheet
from worksheets.models import Reminder


def sessions_url(couple):
    return reverse("api-couple-sessions", args=[couple.pk])


def session_url(session, action=""):
    return f"{reverse('api-session', args=[session.pk])}{action}"


def at(moment: dt.datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


@pytest.fixture
def open_work(couple, maya, checkin, now):
    """A worksheet due in ten days: still open before a session next week."""
    return assign_worksheet(
        couple=couple,
        template=checkin,
        assigned_by=maya,
        due_at=now + dt.timedelta(days=10),
        now=now,
    )


def before_session_nudges(couple):
    """(partner, due at, expires at) of each pending "before your session" nudge."""
    return sorted(
        Reminder.objects.filter(
            partner__couple=couple,
            kind=Reminder.Kind.BEFORE_SESSION,
            status=Reminder.Status.PENDING,
        ).values_list("partner_id", "due_at", "expires_at")
    )


def test_a_session_booked_through_the_api_plans_the_nudges_the_dashboard_would(
    client, maya, couple, daniels_couple, open_work, now
):
    starts_at = (now + dt.timedelta(days=7)).replace(microsecond=0)
    login(client, maya)
    response = send(client, "post", sessions_url(couple), {"starts_at": at(starts_at)})
    assert response.status_code == 201, response.content
    assert response.json()["counselor"]["id"] == maya.pk
    by_api = before_session_nudges(couple)
    assert len(by_api) == 2 and {expires for _, _, expires in by_api} == {starts_at}

    # The same on the dashboard's side, for comparison: the same nudges, at the same times.
    CounselingSession.objects.all().delete()
    Reminder.objects.filter(kind=Reminder.Kind.BEFORE_SESSION).delete()
    schedule_session(couple=couple, counselor=maya, starts_at=starts_at, now=timezone.now())
    assert before_session_nudges(couple) == by_api


def test_a_moved_session_moves_its_nudges(client, maya, couple, open_work, now):
    session = schedule_session(
        couple=couple,
        counselor=maya,
        starts_at=(now + dt.timedelta(days=7)).replace(microsecond=0),
        now=now,
    )
    first = before_session_nudges(couple)
    later = (now + dt.timedelta(days=8)).replace(microsecond=0)
    login(client, maya)
    response = send(client, "patch", session_url(session), {"starts_at": at(later)})
    assert response.status_code == 200, response.content
    assert response.json()["starts_at"] == at(later)
    moved = before_session_nudges(couple)
    assert len(moved) == len(first) == 2
    assert {expires for _, _, expires in moved} == {later}
    assert [due - dt.timedelta(days=1) for _, due, _ in moved] == [due for _, due, _ in first]
    assert session.history.latest().history_user == maya.user


def test_a_cancelled_session_takes_its_nudges_to_the_next_session_or_drops_them(
    client, maya, couple, open_work, now
):
    soon = schedule_session(
        couple=couple, counselor=maya, starts_at=now + dt.timedelta(days=5), now=now
    )
    later = schedule_session(
        couple=couple, counselor=maya, starts_at=now + dt.timedelta(days=9), now=now
    )
    login(client, maya)
    assert send(client, "post", session_url(later, "cancel/")).status_code == 204
    assert {expires for _, _, expires in before_session_nudges(couple)} == {soon.starts_at}
    response = send(client, "post", session_url(soon, "cancel/"))
    assert response.status_code == 204
    assert before_session_nudges(couple) == []
    assert not CounselingSession.objects.exists()
    assert CounselingSession.history.filter(history_type="-").count() == 2


def test_a_time_without_its_offset_or_in_the_past_is_refused(client, maya, couple, now):
    login(client, maya)
    naive = send(client, "post", sessions_url(couple), {"starts_at": "2030-01-05T15:00:00"})
    assert naive.status_code == 400
    assert list(pointers(naive)) == ["#/starts_at"]
    past = send(
        client, "post", sessions_url(couple), {"starts_at": at(now - dt.timedelta(hours=1))}
    )
    assert pointers(past) == {"#/starts_at": "The session must be in the future."}
    far = send(client, "post", sessions_url(couple), {"starts_at": "2999-01-05T15:00:00Z"})
    assert pointers(far) == {"#/starts_at": "Choose a date between 2000 and 2100."}
    assert not CounselingSession.objects.exists()


def test_a_key_names_one_of_the_couples_counselors(client, maya, daniel, couple, now):
    _, headers = key_headers(maya.practice)
    body = {"starts_at": at(now + dt.timedelta(days=3))}
    refused = send(client, "post", sessions_url(couple), body, **headers)
    assert list(pointers(refused)) == ["#/counselor"]
    other = send(client, "post", sessions_url(couple), {**body, "counselor": daniel.pk}, **headers)
    assert pointers(other) == {"#/counselor": "Choose one of the couple's counselors."}
    response = send(client, "post", sessions_url(couple), {**body, "counselor": maya.pk}, **headers)
    assert response.status_code == 201
    assert CounselingSession.objects.get().counselor == maya


@pytest.mark.parametrize("role", list(ROLES))
def test_each_caller_moves_a_session_only_within_its_scope(
    role, client, couple, maya, daniel, priya, outsider, now
):
    session = schedule_session(
        couple=couple, counselor=maya, starts_at=now + dt.timedelta(days=7), now=now
    )
    headers, account = sign_in(role, client, maya, daniel, priya, outsider)
    later = (now + dt.timedelta(days=8)).replace(microsecond=0)
    response = send(client, "patch", session_url(session), {"starts_at": at(later)}, **headers)
    assert response.status_code == ROLES[role], response.content
    session.refresh_from_db()
    if response.status_code == 200:
        assert session.starts_at == later
        assert session.history.latest().history_user == account
    else:
        assert session.starts_at != later


def test_the_couples_sessions_are_listed_and_the_read_logged(client, maya, couple, now):
    from therapy.models import AccessLog

    for days in (9, 2):
        schedule_session(
            couple=couple, counselor=maya, starts_at=now + dt.timedelta(days=days), now=now
        )
    login(client, maya)
    body = client.get(sessions_url(couple)).json()
    assert [row["starts_at"] for row in body] == sorted(row["starts_at"] for row in body)
    assert AccessLog.objects.filter(couple=couple, what="sessions (API)").count() == 1


def test_another_counselors_session_answers_404(client, daniel, couple, maya, now):
    session = schedule_session(
        couple=couple, counselor=maya, starts_at=now + dt.timedelta(days=7), now=now
    )
    login(client, daniel)
    assert client.get(session_url(session)).status_code == 404
    assert send(client, "post", session_url(session, "cancel/")).status_code == 404
    assert CounselingSession.objects.filter(pk=session.pk).exists()


def test_work_opened_for_a_session_is_due_before_its_new_time(client, maya, couple, checkin, now):
    from worksheets.models import Response
    from worksheets.occurrences import DUE_BEFORE_SESSION

    assign_worksheet(
        couple=couple,
        template=checkin,
        assigned_by=maya,
        due_at=now + dt.timedelta(days=1),
        now=now,
        recurrence="before_session",
    )
    session = schedule_session(
        couple=couple,
        counselor=maya,
        starts_at=(now + dt.timedelta(days=5)).replace(microsecond=0),
        now=now,
    )
    for_session = Response.objects.filter(session=session)
    assert for_session.count() == 2
    later = session.starts_at + dt.timedelta(days=2)
    login(client, maya)
    assert send(client, "patch", session_url(session), {"starts_at": at(later)}).status_code == 200
    assert {r.due_at for r in for_session} == {later - DUE_BEFORE_SESSION}
    # Their due-date nudges are planned again, for the new deadline.
    nudges = Reminder.objects.filter(
        response__in=for_session,
        status=Reminder.Status.PENDING,
        kind__in=[Reminder.Kind.BEFORE_DUE, Reminder.Kind.DUE_DAY],
    )
    assert nudges.count() >= 2
    assert {nudge.expires_at for nudge in nudges} == {later - DUE_BEFORE_SESSION}
