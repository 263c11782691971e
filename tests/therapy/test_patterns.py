"""Couple patterns: each rule over the partners' recent stored figures, and one alert per
pattern while it lasts (the widening gap follows the same rule)."""

import datetime as dt

import pytest
from django.utils import timezone

from tests.therapy.conftest import week_of_answers
from therapy.alerts import acknowledge
from therapy.models import Alert
from therapy.patterns import MapPoint, PartnerHistory, couple_patterns
from worksheets.assignments import assign_worksheet
from worksheets.responses import submit_response


def history(pk, name, aside=(), alone=(), guesses=()):
    points = [MapPoint(a, b) for a, b in zip(aside or [None] * len(alone),
                                             alone or [None] * len(aside), strict=True)]
    return PartnerHistory(pk, name, points, list(guesses))


def subjects(a, b, gaps=()):
    return {p.subject for p in couple_patterns(a, b, list(gaps))}


def test_one_setting_themselves_aside_while_the_other_goes_it_alone():
    sam = history(1, "Sam", aside=[2, 3, 4], alone=[2, 2, 2])
    alex = history(2, "Alex", aside=[2, 2, 2], alone=[2, 3, 4.5])
    [pattern] = couple_patterns(sam, alex, [])
    assert pattern.subject == "pattern: aside and alone, 1"
    assert pattern.title == "Sam setting themselves aside while Alex goes it alone"
    assert "2 → 3 → 4" in pattern.evidence and "2 → 3 → 4.5" in pattern.evidence
    # The mirror image is the same pattern, named from the other side.
    assert subjects(alex, sam) == {"pattern: aside and alone, 1"}
    # Steady, middling figures are no pattern.
    assert subjects(history(1, "Sam", [3, 3, 3], [2, 2, 2]),
                    history(2, "Alex", [2, 2, 2], [3, 3, 3])) == set()


def test_both_moving_toward_going_it_alone_is_drifting_apart():
    sam = history(1, "Sam", aside=[1, 1, 1], alone=[2, 2.5, 3.5])
    alex = history(2, "Alex", aside=[1, 1, 1], alone=[3, 4, 4])
    assert subjects(sam, alex) == {"pattern: drifting apart"}
    assert subjects(sam, history(2, "Alex", [1, 1, 1], [3, 3, 3])) == set()


def test_both_high_on_setting_themselves_aside_is_fused():
    assert subjects(history(1, "Sam", [4, 4], [1, 1]), history(2, "Alex", [3, 5], [1, 1])) >= {
        "pattern: fused"
    }
    assert "pattern: fused" not in subjects(
        history(1, "Sam", [4, 4], [1, 1]), history(2, "Alex", [5, 3], [1, 1])
    )


def test_a_wide_and_growing_gap():
    sam, alex = history(1, "Sam"), history(2, "Alex")
    assert subjects(sam, alex, [2, 3, 5]) == {"pattern: wide and growing gap"}
    assert subjects(sam, alex, [6, 5, 5]) == set()  # wide, but narrowing
    assert subjects(sam, alex, [1, 2, 3]) == set()  # growing, but not wide
    # Only the last few count: an old narrow gap does not make a steady wide one "growing".
    assert subjects(sam, alex, [1, 6, 6, 6]) == set()


def test_guesses_far_off_and_getting_worse_are_one_partners_pattern():
    sam = history(1, "Sam", guesses=[70, 55, 40])
    alex = history(2, "Alex", guesses=[40, 45, 50])
    [pattern] = couple_patterns(sam, alex, [])
    assert pattern.subject == "pattern: guesses off, 1"
    assert "70% → 55% → 40%" in pattern.evidence
    assert subjects(history(1, "Sam", guesses=[90, 80, 70]), alex) == set()  # not far off


@pytest.fixture
def weekly(couple, checkin, maya, partner_a, partner_b):
    """Submit one weekly check-in for both partners: answers by partner name."""
    start = timezone.now() - dt.timedelta(weeks=10)
    week = iter(range(100))

    def submit(sam: dict, alex: dict):
        at = start + dt.timedelta(weeks=next(week))
        assignment = assign_worksheet(
            couple=couple, template=checkin, due_at=at + dt.timedelta(days=5), assigned_by=maya,
            now=at,
        )
        for partner, answers in ((partner_a, sam), (partner_b, alex)):
            response = assignment.responses.get(partner=partner)
            submit_response(
                response_id=response.pk, partner=partner, now=at + dt.timedelta(hours=1),
                answers={"confided": 3, "own_time": 3, "needs_on_hold": 1, "went_it_alone": 1,
                         "balance_felt_right": 3, **answers},
            )
        return at

    return submit


def patterns_raised():
    return list(Alert.objects.filter(kind=Alert.Kind.PATTERN).order_by("pk"))


def test_a_pattern_raises_one_alert_while_it_lasts_and_a_new_one_when_it_returns(
    weekly, maya
):
    weekly({"needs_on_hold": 2}, {"went_it_alone": 2})
    assert patterns_raised() == []
    weekly({"needs_on_hold": 3}, {"went_it_alone": 4})
    [alert] = patterns_raised()
    assert alert.reason.startswith("Sam setting themselves aside while Alex goes it alone.")
    assert alert.reason.endswith("A pattern to explore together, not a diagnosis.")
    weekly({"needs_on_hold": 4}, {"went_it_alone": 5})
    assert patterns_raised() == [alert]
    at = weekly({"needs_on_hold": 5}, {"went_it_alone": 5})
    acknowledge(alerts=Alert.objects.filter(pk=alert.pk), counselor=maya, now=at)
    weekly({"needs_on_hold": 5}, {"went_it_alone": 5})  # still holding: nothing new
    assert patterns_raised() == [alert]
    for _ in range(3):  # it ends
        weekly({"needs_on_hold": 1}, {"went_it_alone": 1})
    assert patterns_raised() == [alert]


def test_an_open_pattern_alert_closes_when_the_pattern_ends(weekly):
    weekly({"needs_on_hold": 2}, {"went_it_alone": 2})
    weekly({"needs_on_hold": 4}, {"went_it_alone": 4})
    [alert] = patterns_raised()
    assert alert.is_open
    for _ in range(3):
        weekly({"needs_on_hold": 1}, {"went_it_alone": 1})
    alert.refresh_from_db()
    assert not alert.is_open and alert.acknowledged_by is None
    assert alert.history.latest().history_change_reason == "The pattern ended"
    weekly({"needs_on_hold": 2}, {"went_it_alone": 2})
    weekly({"needs_on_hold": 4}, {"went_it_alone": 4})  # and comes back
    first, second = patterns_raised()
    assert first == alert and second.is_open


def test_a_gap_that_keeps_widening_is_one_alert(couple, library, maya):
    time_map = library.get(slug="time-map")
    start = timezone.now() - dt.timedelta(weeks=10)
    for n, balances in enumerate([(5, 4), (6, 3), (7, 2), (8, 1)]):  # gaps 1, 3, 5, 7
        week_of_answers(couple, time_map, maya, start + dt.timedelta(weeks=n), balances)
    [alert] = Alert.objects.filter(kind=Alert.Kind.GAP_WIDENED)
    assert "widened from 1 to 3" in alert.reason
    acknowledge(alerts=Alert.objects.filter(pk=alert.pk), counselor=maya, now=timezone.now())
    week_of_answers(couple, time_map, maya, start + dt.timedelta(weeks=4), (9, 0))  # 9: goes on
    assert Alert.objects.filter(kind=Alert.Kind.GAP_WIDENED).count() == 1
    # It stops widening, then widens again: a new trend, a new alert.
    week_of_answers(couple, time_map, maya, start + dt.timedelta(weeks=5), (8, 0))  # 8
    week_of_answers(couple, time_map, maya, start + dt.timedelta(weeks=6), (10, 0))  # 10
    assert Alert.objects.filter(kind=Alert.Kind.GAP_WIDENED).count() == 2


def test_the_couple_page_tells_the_patterns_that_hold_with_their_evidence(
    client, weekly, maya, couple
):
    from django.urls import reverse

    from tests.conftest import login

    weekly({"needs_on_hold": 2}, {"went_it_alone": 2})
    weekly({"needs_on_hold": 4}, {"went_it_alone": 4})
    login(client, maya)
    page = client.get(reverse("admin:clients_couple_overview", args=[couple.pk])).content.decode()
    section = page.split('id="patterns-heading"')[1].split("</section>")[0]
    assert "Sam setting themselves aside while Alex goes it alone" in section
    assert "2 → 4" in section and "not a diagnosis" in section


def test_the_couple_page_tells_a_pattern_once_with_todays_evidence_and_acknowledges_it_there(
    client, weekly, maya, couple
):
    from django.urls import reverse

    from tests.conftest import login

    weekly({"needs_on_hold": 2}, {"went_it_alone": 2})
    weekly({"needs_on_hold": 4}, {"went_it_alone": 4})
    [alert] = patterns_raised()  # its words hold the evidence of the day it was raised
    weekly({"needs_on_hold": 5}, {"went_it_alone": 5})
    login(client, maya)
    url = reverse("admin:clients_couple_overview", args=[couple.pk])
    page = client.get(url).content.decode()
    assert page.count("Sam setting themselves aside while Alex goes it alone") == 1
    assert alert.reason not in page
    section = page.split('id="patterns-heading"')[1].split("</section>")[0]
    assert "2 → 4 → 5" in section and "open alert, raised" in section
    assert f'name="acknowledge" value="{alert.pk}"' in section
    assert client.post(url, {"acknowledge": alert.pk}).status_code == 302
    alert.refresh_from_db()
    assert not alert.is_open and alert.acknowledged_by == maya
    section = client.get(url).content.decode().split('id="patterns-heading"')[1]
    section = section.split("</section>")[0]
    assert "2 → 4 → 5" in section and 'name="acknowledge"' not in section


def test_the_brief_has_the_map_and_the_patterns_on_the_page_and_in_the_pdf(
    client, weekly, maya, couple
):
    import io

    from django.urls import reverse
    from pypdf import PdfReader

    from tests.conftest import login

    weekly({"needs_on_hold": 2}, {"went_it_alone": 2})
    weekly({"needs_on_hold": 4, "own_time": 5, "confided": 5}, {"went_it_alone": 4})
    login(client, maya)
    url = reverse("admin:clients_couple_brief", args=[couple.pk])
    page = client.get(url).content.decode()
    assert page.count("<polyline") == 2
    assert "Close and distinct; toward setting oneself aside" in page
    assert "Sam setting themselves aside while Alex goes it alone" in page
    pdf = client.get(url, {"paper": "a4"}).content
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    assert "Close and distinct; toward setting oneself aside" in " ".join(text.split())
    assert "Sam setting themselves aside while Alex goes it alone" in " ".join(text.split())


def test_partners_pulling_both_ways_at_once_are_not_told_as_a_split():
    sam = history(1, "Sam", aside=[2, 3, 4], alone=[2, 3, 4])
    alex = history(2, "Alex", aside=[2, 3, 4], alone=[2, 3, 4])
    assert subjects(sam, alex) == {"pattern: drifting apart", "pattern: fused"}
