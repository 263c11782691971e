"""The demo practice tells its three stories on the dashboard."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth import get_user_model

from clients.models import Couple
from therapy import dashboard
from therapy.demo import load_demo
from worksheets.library import load_library

NEW_YORK = ZoneInfo("America/New_York")


# Loaded before the practice's working day starts, and in the afternoon just after the
# clocks went forward: the stories are the same.
@pytest.fixture(
    params=[
        dt.datetime(2026, 11, 20, 6, 30, tzinfo=NEW_YORK),
        dt.datetime(2026, 3, 9, 15, 0, tzinfo=NEW_YORK),
    ],
    ids=["early-morning", "after-dst"],
)
def demo(db, request):
    load_library()
    with time_machine.travel(request.param, tick=False):
        assert load_demo(now=request.param)
    return request.param


def scores(detail, key):
    """Each partner's scores on one subscale of the charted worksheet, oldest first."""
    [chart] = [chart for chart in detail.subscale_charts if chart.key == key]
    return {
        partner.display_name: [score for _, score in points] for partner, points in chart.series
    }


def test_the_demo_caseload_shows_a_drifting_couple_and_a_partner_skipping_homework(demo):
    counselor = get_user_model().objects.get(username="counselor")
    rows = {row.label: row for row in dashboard.caseload(counselor, now=demo)}
    assert sorted(rows) == ["Okafor & Lind", "Patel & Moreau", "Rivera & Chen"]
    drifting = rows["Patel & Moreau"]
    assert (drifting.gap, drifting.gap_change) == (7, 2)
    skipping = {s.name: s.done for s in rows["Okafor & Lind"].partners}
    assert skipping["Erik Lind"] == 0 and skipping["Ada Okafor"] > 0
    assert rows["Okafor & Lind"].overdue == 5
    assert rows["Rivera & Chen"].overdue == 0


def test_the_improving_couple_puts_their_needs_aside_less_week_by_week(demo):
    couple = Couple.objects.get(label="Rivera & Chen")
    detail = dashboard.couple_detail(couple, now=demo)
    for series in scores(detail, "over_dependence").values():
        assert series == sorted(series, reverse=True) and series[-1] < series[0]
    for series in scores(detail, "healthy_dependence").values():
        assert series == sorted(series) and series[-1] > series[0]


def test_the_drifting_couple_moves_apart_on_time_of_their_own(demo):
    couple = Couple.objects.get(label="Patel & Moreau")
    detail = dashboard.couple_detail(couple, now=demo)
    own_time = scores(detail, "healthy_independence")
    assert own_time["Priya Patel"][-1] < own_time["Priya Patel"][0]
    assert own_time["Luc Moreau"][-1] > own_time["Luc Moreau"][0]


def test_the_demo_work_is_due_in_the_evening_in_the_practices_zone(demo):
    from worksheets.models import Assignment

    due_hours = {a.due_at.astimezone(NEW_YORK).hour for a in Assignment.objects.all()}
    assert due_hours == {20}


def test_the_drifting_couples_brief_has_what_each_wants_to_try(demo):
    from therapy.brief import session_brief

    brief = session_brief(Couple.objects.get(label="Patel & Moreau"), now=demo)
    shared = {(name, answer) for name, _, answer in brief.shared_texts}
    assert ("Priya Patel", "A standing date night that we both protect") in shared
    assert ("Luc Moreau", "A quiet Sunday afternoon to read") in shared
    assert brief.gap == 7
