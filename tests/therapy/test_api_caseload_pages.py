"""The API's caseload, a page at a time, in a sort order that is checked, not guessed."""

import pytest
from django.urls import reverse

from tests.conftest import login
from tests.factories import couple_with_partners
from therapy import api_pages

CASELOAD = reverse("api-caseload")


@pytest.fixture
def seven_couples(maya):
    return [couple_with_partners(counselor=maya, label=f"Couple {n}") for n in range(7)]


def walk(client, url, params):
    """Every page from the first, following `next`; returns the labels, page by page."""
    pages, body = [], client.get(url, params).json()
    pages.append([row["label"] for row in body["results"]])
    while body["next"]:
        body = client.get(body["next"]).json()
        pages.append([row["label"] for row in body["results"]])
    return pages, body


def test_the_caseload_comes_in_pages_that_follow_one_another(
    client, maya, seven_couples, monkeypatch
):
    monkeypatch.setattr(api_pages, "PAGE_SIZE", 3)
    login(client, maya)
    pages, last = walk(client, CASELOAD, {"sort": "couple"})
    assert pages == [
        ["Couple 0", "Couple 1", "Couple 2"],
        ["Couple 3", "Couple 4", "Couple 5"],
        ["Couple 6"],
    ]
    back = client.get(last["previous"]).json()
    assert [row["label"] for row in back["results"]] == ["Couple 3", "Couple 4", "Couple 5"]
    assert client.get(CASELOAD, {"sort": "couple"}).json()["previous"] is None


def test_a_couple_added_between_pages_neither_repeats_nor_skips_a_row(
    client, maya, seven_couples, monkeypatch
):
    monkeypatch.setattr(api_pages, "PAGE_SIZE", 3)
    login(client, maya)
    first = client.get(CASELOAD).json()
    couple_with_partners(counselor=maya, label="Couple 0a")  # sorts before the cursor
    second = client.get(first["next"]).json()
    assert [row["label"] for row in second["results"]] == ["Couple 3", "Couple 4", "Couple 5"]


def test_every_sort_order_pages_through_every_couple_once(
    client, maya, seven_couples, monkeypatch
):
    monkeypatch.setattr(api_pages, "PAGE_SIZE", 2)
    login(client, maya)
    for sort in ("couple", "next_session", "overdue", "gap", "alerts"):
        pages, _ = walk(client, CASELOAD, {"sort": sort})
        labels = [label for page in pages for label in page]
        assert sorted(labels) == sorted(c.label for c in seven_couples), sort


def refused_parameters(response):
    return [error["parameter"] for error in response.json()["errors"]]


def test_an_unknown_sort_or_filter_answers_400_naming_the_field(client, maya, seven_couples):
    login(client, maya)
    response = client.get(CASELOAD, {"sort": "age"})
    assert response.status_code == 400
    assert refused_parameters(response) == ["sort"]
    assert response.json()["errors"][0]["detail"] == '"age" is not a valid choice.'
    response = client.get(CASELOAD, {"show": "everything"})
    assert response.status_code == 400
    assert refused_parameters(response) == ["show"]


def test_a_cursor_made_up_or_from_another_sort_answers_400(
    client, maya, seven_couples, monkeypatch
):
    monkeypatch.setattr(api_pages, "PAGE_SIZE", 3)
    login(client, maya)
    assert client.get(CASELOAD, {"cursor": "abc"}).status_code == 400
    cursor = client.get(CASELOAD, {"sort": "gap"}).json()["next"].split("cursor=")[1]
    response = client.get(CASELOAD, {"sort": "couple", "cursor": cursor})
    assert response.status_code == 400
    assert refused_parameters(response) == ["cursor"]


def test_the_attention_filter_still_keeps_only_couples_needing_attention(
    client, maya, seven_couples
):
    login(client, maya)
    assert client.get(CASELOAD, {"show": "attention"}).json()["results"] == []
