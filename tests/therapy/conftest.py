"""Couples with a history, for the dashboard, the brief and the API."""

import datetime as dt

import pytest
from django.utils import timezone

from tests.factories import couple_with_partners
from therapy.sessions import schedule_session
from worksheets.assignments import assign_worksheet
from worksheets.responses import submit_response


def week_of_answers(couple, template, counselor, start, balances, texts=("", "")):
    """Both partners answer one occurrence of `template` at `start`."""
    assignment = assign_worksheet(
        couple=couple,
        template=template,
        assigned_by=counselor,
        due_at=start + dt.timedelta(days=6),
        now=start,
    )
    for response, balance, text in zip(
        assignment.responses.order_by("partner_id"), balances, texts, strict=True
    ):
        answers = {
            "confided": 4,
            "own_time": 3,
            "needs_on_hold": 2,
            "went_it_alone": 2,
            "balance_felt_right": 4,
            "preferred_togetherness": balance,
            "guess_partner_togetherness": 5,
        }
        if text:
            answers["new_thing_to_try"] = text
        submit_response(
            response_id=response.pk,
            partner=response.partner,
            answers=answers,
            now=start + dt.timedelta(days=1),
        )
    return assignment


@pytest.fixture
def history(couple, library, maya):
    """Three fortnights of the time map: the partners drift apart (gap 2, 4, then 7)."""
    now = timezone.now()
    time_map = library.get(slug="time-map")
    for weeks_ago, balances in ((6, (6, 4)), (4, (7, 3)), (2, (8, 1))):
        week_of_answers(
            couple,
            time_map,
            maya,
            now - dt.timedelta(weeks=weeks_ago),
            balances,
            texts=("Salsa classes together", ""),
        )
    schedule_session(couple=couple, counselor=maya, starts_at=now + dt.timedelta(hours=20), now=now)
    return couple


def grow_caseload(counselor, template, couples):
    now = timezone.now()
    for n in range(couples):
        couple = couple_with_partners(counselor=counselor, label=f"Couple {n:02}")
        week_of_answers(couple, template, counselor, now - dt.timedelta(days=3), (5, 3))
