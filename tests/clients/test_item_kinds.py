"""Each kind of question, as a partner answers it on the worksheet page."""

import datetime as dt

import pytest
from django.utils import timezone

from tests.conftest import fill_in, portal_sign_in
from worksheets.assignments import assign_worksheet

CATEGORIES = ["just_us", "together_with_others", "on_my_own", "own_friends", "work_study"]


def time_map_answers(**changes):
    answers = {
        **{f"week_now__{c}": "10" for c in CATEGORIES},
        **{f"week_wished__{c}": "12" for c in CATEGORIES},
        "preferred_togetherness": "7",
        "guess_partner_togetherness": "4",
        "partner_time_apart_feels": "glad",
        "time_together_feels": "mostly_good",
        "room_to_grow": ["friends", "hobby"],
        "new_thing_to_try": "Pottery on Thursdays",
    }
    answers.update(changes)
    return answers


@pytest.fixture
def library_response(couple, library, maya, partner_a):
    def assign(slug):
        now = timezone.now()
        assignment = assign_worksheet(
            couple=couple,
            template=library.get(slug=slug),
            due_at=now + dt.timedelta(days=5),
            assigned_by=maya,
            now=now,
        )
        return assignment.responses.get(partner=partner_a)

    return assign


@pytest.fixture
def signed_in(client, partner_a):
    return portal_sign_in(client, partner_a)


def post(client, response, data):
    return fill_in(client, response, data)


def test_the_time_map_shows_every_kind_of_question(signed_in, library_response):
    response = library_response("time-map")
    first = signed_in.get(f"/portal/worksheets/{response.pk}/").content.decode()
    assert "Part 1 of 4" in first
    page = "".join(
        signed_in.get(f"/portal/worksheets/{response.pk}/?step={n}").content.decode()
        for n in (1, 2, 3, 4)
    )
    assert "With your own friends or family" in page and 'type="number"' in page
    assert "10 – " in page and "0 – " in page  # the 0–10 scale with its end labels
    assert 'type="checkbox"' in page
    assert "Share this answer with your partner once you have both finished" in page
    assert "Only you and your counselor will see this answer." in page


def test_a_time_split_over_its_limit_is_refused_with_the_total(signed_in, library_response):
    response = library_response("time-map")
    result = post(signed_in, response, time_map_answers(**{"week_now__work_study": "70"}))
    page = result.content.decode()
    assert result.status_code == 400
    assert "These add up to 110 hours; please keep the total to 100 hours or fewer." in page
    response.refresh_from_db()
    assert response.answers["week_now"]["work_study"] == 70  # kept in the draft


def test_too_many_ticks_are_refused_but_kept(signed_in, library_response):
    response = library_response("time-map")
    ticks = ["friends", "hobby", "exercise", "learning"]
    result = post(signed_in, response, time_map_answers(room_to_grow=ticks))
    assert "Please tick at most 3." in result.content.decode()
    response.refresh_from_db()
    assert response.answers["room_to_grow"] == ticks


def test_a_submitted_time_map_stores_answers_in_their_own_shapes(signed_in, library_response):
    response = library_response("time-map")
    post(signed_in, response, time_map_answers())
    response.refresh_from_db()
    assert response.answers["week_now"] == dict.fromkeys(CATEGORIES, 10)
    assert response.answers["room_to_grow"] == ["friends", "hobby"]
    assert response.answers["preferred_togetherness"] == 7
    assert response.scores["preferred_balance"] == 7
    assert response.scores["guessed_partner_balance"] == 4


def test_the_inventory_is_scored_with_subscales_lean_and_balance(
    signed_in, library_response, library
):
    response = library_response("balance-inventory")
    items = list(library.get(slug="balance-inventory").items.all())
    answers = {}
    for item in items:
        if item.kind == "agreement":
            # Agree with every healthy item, disagree with every over- item (before keying).
            healthy = item.subscale.startswith("healthy")
            answers[item.key] = "4" if healthy != item.reverse_keyed else "2"
        elif item.kind in ("scale", "perception"):
            answers[item.key] = "5" if item.kind == "scale" else "3"
    result = post(signed_in, response, answers)
    assert result.status_code == 302, result.content.decode()[:2000]
    response.refresh_from_db()
    by_key = {s["key"]: s["score"] for s in response.scores["subscales"]}
    assert by_key == {
        "healthy_dependence": 4,
        "healthy_independence": 4,
        "over_dependence": 2,
        "over_independence": 2,
    }
    assert response.scores["lean"]["label"] == "Balanced"
    assert response.scores["preferred_balance"] == 5
    page = signed_in.get(f"/portal/worksheets/{response.pk}/result/").content.decode()
    assert "not a diagnosis" in page


def test_a_second_occurrence_records_the_change_since_the_first(
    client, couple, library, maya, partner_a
):
    checkin = library.get(slug="weekly-checkin")
    portal_sign_in(client, partner_a)
    scores = []
    for confided in ("2", "4"):
        now = timezone.now()
        assignment = assign_worksheet(
            couple=couple,
            template=checkin,
            assigned_by=maya,
            due_at=now + dt.timedelta(days=5),
            now=now,
        )
        response = assignment.responses.get(partner=partner_a)
        post(
            client,
            response,
            {
                "confided": confided,
                "own_time": "3",
                "needs_on_hold": "3",
                "went_it_alone": "3",
                "balance_felt_right": "3",
            },
        )
        response.refresh_from_db()
        scores.append(response.scores)
    assert scores[0]["change"] == {}
    assert scores[1]["change"] == {
        "healthy_dependence": 2.0,
        "healthy_independence": 0.0,
        "over_dependence": 0.0,
        "over_independence": 0.0,
        "balance": 0.0,
    }
