"""The interdependence map: two axes, connection and autonomy, worked out at submission from
the stored subscale scores; high on both and low on both read differently wherever a
position is shown."""

import datetime as dt
import importlib
import itertools

import pytest
from django.apps import apps
from django.urls import reverse
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from tests.conftest import login, portal_sign_in
from worksheets.assignments import assign_worksheet
from worksheets.interdependence import (
    AUTONOMY,
    CONNECTION,
    GOING_ALONE,
    HIGH,
    LOW,
    POSITIONS,
    SETTING_ASIDE,
    map_figures,
    position_of,
)
from worksheets.models import Response
from worksheets.responses import submit_response

scores_1_to_5 = st.floats(min_value=1, max_value=5, allow_nan=False).map(lambda v: round(v, 2))


def subscales(**scores):
    return [{"key": key, "score": score} for key, score in scores.items()]


@given(connection=scores_1_to_5, autonomy=scores_1_to_5)
def test_every_point_has_one_position_that_says_which_strengths_are_high(connection, autonomy):
    position = position_of(connection, autonomy)
    assert position.key in POSITIONS
    if position.key == "close_and_distinct":
        assert connection > HIGH and autonomy > HIGH
    if position.key == "neither_yet":
        assert connection <= LOW and autonomy <= LOW
    if connection > HIGH and autonomy > HIGH:
        assert position.key == "close_and_distinct"
    if connection <= LOW and autonomy <= LOW:
        assert position.key == "neither_yet"


def test_high_on_both_and_low_on_both_read_differently():
    high = position_of(4.8, 4.6)
    low = position_of(1.4, 1.6)
    assert high.label == "Close and distinct"
    assert low.label != high.label and low.text != high.text
    # Two partners with the same difference between the axes are no longer the same.
    assert position_of(3.0, 3.0) != high and position_of(3.0, 3.0) != low


def test_the_zones_are_the_over_ends_above_the_high_band():
    figures = map_figures(
        subscales(**{CONNECTION: 4.0, AUTONOMY: 2.0, SETTING_ASIDE: 4.5, GOING_ALONE: 1.0})
    )
    assert figures.zones == [SETTING_ASIDE]
    assert figures.position == "close_less_room"
    assert map_figures(subscales(**{CONNECTION: 4.0})) is None
    assert map_figures(subscales(**{CONNECTION: None, AUTONOMY: 3.0})) is None


def submit_checkin(response, *, confided, own_time, on_hold=1, alone=1, now=None):
    return submit_response(
        response_id=response.pk,
        partner=response.partner,
        answers={
            "confided": confided,
            "own_time": own_time,
            "needs_on_hold": on_hold,
            "went_it_alone": alone,
            "balance_felt_right": 3,
        },
        now=now or timezone.now(),
    )


@pytest.fixture
def answered(couple, checkin, maya, partner_a, partner_b):
    """Sam is high on both axes, Alex low on both."""
    now = timezone.now()
    assignment = assign_worksheet(
        couple=couple, template=checkin, due_at=now + dt.timedelta(days=3), assigned_by=maya,
        now=now,
    )
    sam = submit_checkin(assignment.responses.get(partner=partner_a), confided=5, own_time=5)
    alex = submit_checkin(
        assignment.responses.get(partner=partner_b), confided=1, own_time=2, alone=5
    )
    return sam, alex


def test_the_map_is_stored_at_submission(answered):
    sam, alex = answered
    sam.refresh_from_db()
    assert sam.map_position == "close_and_distinct"
    assert sam.scores["map"]["connection"] == 5.0 and sam.scores["map"]["autonomy"] == 5.0
    alex.refresh_from_db()
    assert alex.map_position == "neither_yet" and alex.scores["map"]["zones"] == [GOING_ALONE]


def test_the_caseload_names_the_position_not_a_lean(client, maya, answered):
    login(client, maya)
    page = client.get("/admin/").content.decode()
    assert "close and distinct" in page
    assert "little of either, for now" in page
    assert "balanced" not in page.lower()


def test_the_couple_page_draws_both_paths_with_a_text_table(client, maya, couple, answered):
    login(client, maya)
    page = client.get(reverse("admin:clients_couple_overview", args=[couple.pk])).content.decode()
    section = page.split('id="map-heading"')[1].split("</section>")[0]
    assert section.count("<polyline") == 2
    assert "toward setting</tspan>" in section and "toward going</tspan>" in section
    rows = section.split("<tbody>")[1]
    assert "<td>Sam</td>" in rows and "<td>Close and distinct</td>" in rows
    assert "Little of either, for now; toward going it alone" in rows


def test_each_partner_reads_their_own_place_on_the_map_and_only_theirs(client, answered):
    _, alex = answered
    portal_sign_in(client, alex.partner)
    page = client.get(f"/portal/worksheets/{alex.pk}/result/").content.decode()
    assert "Little of either, for now" in page
    assert "You often carry hard things on your own" in page
    assert "Close and distinct" not in page  # Sam's position


def test_the_migration_adds_the_map_from_the_stored_scores(answered):
    sam, alex = answered
    stored = {r.pk: r.scores["map"] for r in Response.objects.filter(pk__in=[sam.pk, alex.pk])}
    for response in Response.objects.filter(pk__in=stored):
        response.scores = {k: v for k, v in response.scores.items() if k != "map"}
        response.map_position = ""
        response.save(update_fields=["scores", "map_position"])
    migration = importlib.import_module("worksheets.migrations.0011_interdependence_map")
    migration.map_from_stored_scores(apps, None)
    for response in Response.objects.filter(pk__in=stored):
        assert response.scores["map"] == stored[response.pk]
        assert response.map_position == stored[response.pk]["position"]


@pytest.mark.parametrize("connection,autonomy", list(itertools.product([1, 3, 5], repeat=2)))
def test_a_check_in_lands_where_its_two_answers_put_it(
    couple, checkin, maya, partner_a, connection, autonomy
):
    now = timezone.now()
    response = assign_worksheet(
        couple=couple, template=checkin, due_at=now + dt.timedelta(days=3), assigned_by=maya,
        now=now,
    ).responses.get(partner=partner_a)
    submitted = submit_checkin(response, confided=connection, own_time=autonomy)
    assert submitted.map_position == position_of(connection, autonomy).key
