"""The follow-up page reminds the partner of what they planned, in their own words, and
nothing of it reaches the other partner's portal."""

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from tests.conftest import portal_sign_in
from tests.worksheets.test_follow_ups import hand_in_time_map
from worksheets.assignments import assign_worksheet
from worksheets.follow_ups import FOLLOW_UP_SLUG, assign_due_follow_ups
from worksheets.models import Assignment, Response

PLAN = "Try the <b>pottery</b> class & ask Alex to come to the show"
ESCAPED = "Try the &lt;b&gt;pottery&lt;/b&gt; class &amp; ask Alex to come to the show"


@pytest.fixture
def follow_up(couple, library, maya, partner_a):
    """Sam handed in a time map eight days ago, with a plan; the hourly job has run."""
    handed_in = timezone.now() - dt.timedelta(days=8)
    hand_in_time_map(
        couple=couple,
        template=library.get(slug="time-map"),
        counselor=maya,
        answers={partner_a: PLAN},
        at=handed_in,
    )
    assign_due_follow_ups(now=timezone.now())
    return Response.objects.get(assignment__template__slug=FOLLOW_UP_SLUG, partner=partner_a)


def test_the_page_shows_the_partner_their_own_earlier_answer_escaped(client, follow_up, partner_a):
    page = portal_sign_in(client, partner_a).get(f"/portal/worksheets/{follow_up.pk}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "you wrote:" in html
    assert ESCAPED in html
    assert "<b>pottery</b>" not in html
    assert "Did you get to try it?" in html


def test_the_review_page_keeps_the_plan_in_sight(client, follow_up, partner_a):
    html = client.get(f"/portal/worksheets/{follow_up.pk}/review/").content.decode()
    assert "Check your answers" not in html  # not signed in: no page of the partner's
    html = portal_sign_in(client, partner_a).get(f"/portal/worksheets/{follow_up.pk}/review/")
    html = html.content.decode()
    assert "Check your answers" in html
    assert "you wrote:" in html and ESCAPED in html and "<b>pottery</b>" not in html


def test_the_partner_finds_the_follow_up_on_their_home_page(client, follow_up, partner_a):
    html = portal_sign_in(client, partner_a).get("/portal/").content.decode()
    assert "Your new thing, a week on" in html
    assert f"/portal/worksheets/{follow_up.pk}/" in html


def test_the_other_partners_portal_shows_nothing_of_it(follow_up, partner_b):
    other = portal_sign_in(Client(), partner_b)
    home = other.get("/portal/").content.decode()
    assert "Your new thing, a week on" not in home
    assert "pottery" not in home
    assert other.get(f"/portal/worksheets/{follow_up.pk}/").status_code == 404
    assert other.get(f"/portal/worksheets/{follow_up.pk}/review/").status_code == 404


def test_another_worksheet_shows_no_earlier_answer(client, follow_up, partner_a, checkin, maya):
    now = timezone.now()
    assignment = assign_worksheet(
        couple=follow_up.assignment.couple,
        template=checkin,
        due_at=now + dt.timedelta(days=3),
        assigned_by=maya,
        now=now,
    )
    response = assignment.responses.get(partner=partner_a)
    html = portal_sign_in(client, partner_a).get(f"/portal/worksheets/{response.pk}/")
    assert "you wrote:" not in html.content.decode()


def test_a_follow_up_never_shows_another_partners_answer(
    client, follow_up, couple, library, maya, partner_a, partner_b
):
    # However it came about, a follow-up pointing at the other partner's answer shows nothing.
    theirs = hand_in_time_map(
        couple=couple,
        template=library.get(slug="time-map"),
        counselor=maya,
        answers={partner_b: "Alex's own secret plan"},
        at=timezone.now() - dt.timedelta(days=1),
    ).responses.get(partner=partner_b)
    Assignment.objects.filter(pk=follow_up.assignment_id).update(follow_up_of=theirs)
    html = portal_sign_in(client, partner_a).get(f"/portal/worksheets/{follow_up.pk}/")
    assert "secret plan" not in html.content.decode()
    assert "you wrote:" not in html.content.decode()
