"""The counselor API: the caseload, a couple's scores and the brief, scoped for every role."""

import pytest
from django.urls import reverse

from tests.conftest import login, portal_sign_in
from tests.factories import safety_draft
from tests.therapy.conftest import grow_caseload
from therapy.models import AccessLog

CASELOAD = reverse("api-caseload")


def scores_url(couple):
    return reverse("api-scores", args=[couple.pk])


def brief_url(couple):
    return reverse("api-brief", args=[couple.pk])


def test_the_caseload_lists_the_counselors_couples_with_their_figures(
    client, maya, history, daniels_couple
):
    login(client, maya)
    [row] = client.get(CASELOAD).json()["results"]
    assert (row["label"], row["gap"], row["gap_change"]) == ("Rivera & Chen", 7, 3)
    balances = {p["name"]: p["balance"] for p in row["partners"]}
    assert balances == {"Sam": 8, "Alex": 1}
    assert row["next_session"].endswith("Z")


def test_a_couples_scores_come_with_the_gap_over_time_and_the_clinical_note(client, maya, history):
    login(client, maya)
    body = client.get(scores_url(history)).json()
    assert [point["gap"] for point in body["gaps"]] == [2, 4, 7]
    assert body["partners"][0]["name"] == "Sam"
    assert body["subscales"] == []  # the time map has no subscales, only the balance
    assert "not a diagnosis" in body["note"]
    # Scores only: no answers, shared or private.
    assert "Salsa" not in str(body)
    assert AccessLog.objects.filter(
        couple=history, user=maya.user, what="couple scores (API)"
    ).exists()


def test_the_brief_has_the_shared_answers_and_the_gap(client, maya, history):
    login(client, maya)
    body = client.get(brief_url(history)).json()
    assert body["gap"] == 7 and body["gap_change"] == 3
    assert body["is_ready"] is True
    assert [t["answer"] for t in body["shared_texts"]] == ["Salsa classes together"]
    assert "not a diagnosis" in body["note"]


def test_the_brief_leads_with_urgent_alerts_and_carries_no_private_answer(
    client, maya, history, library, now
):
    sam = history.partners.order_by("pk")[0]
    safety_draft(
        couple=history,
        partner=sam,
        counselor=maya,
        library=library,
        now=now,
        written="PRIVATE-SENTINEL-4410",
    )
    login(client, maya)
    body = client.get(brief_url(history)).json()
    assert list(body)[1] == "urgent_alerts"
    [urgent] = body["urgent_alerts"]
    assert urgent["instruction"] == "Speak with Sam alone first"
    assert urgent["kind"] == "safety"
    assert body["joint_work_paused"] is True
    assert body["prompts"] == []
    assert all(alert["kind"] != "safety" for alert in body["open_alerts"])
    assert "PRIVATE-SENTINEL-4410" not in str(body)
    assert "often" not in str(body).lower()


def test_another_counselors_couple_answers_404_and_is_not_listed(
    client, daniel, history, daniels_couple
):
    login(client, daniel)
    labels = [row["label"] for row in client.get(CASELOAD).json()["results"]]
    assert labels == ["Nakamura & Berg"]
    assert client.get(scores_url(history)).status_code == 404
    assert client.get(brief_url(history)).status_code == 404
    assert not AccessLog.objects.filter(couple=history).exists()


def test_the_practice_admin_sees_the_practice_and_an_outsider_nothing(
    client, priya, outsider, history, daniels_couple
):
    login(client, priya)
    labels = sorted(row["label"] for row in client.get(CASELOAD).json()["results"])
    assert labels == ["Nakamura & Berg", "Rivera & Chen"]
    client.logout()
    login(client, outsider)
    assert client.get(CASELOAD).json()["results"] == []
    assert client.get(scores_url(history)).status_code == 404


def test_visitors_and_partners_are_refused(client, history, partner_a):
    for url in (CASELOAD, scores_url(history), brief_url(history)):
        assert client.get(url).status_code == 403
    portal_sign_in(client, partner_a)
    for url in (CASELOAD, scores_url(history), brief_url(history)):
        assert client.get(url).status_code == 403


def test_where_a_code_is_required_a_password_alone_is_not_enough(client, maya, history, settings):
    settings.STAFF_TWO_FACTOR = True
    login(client, maya)
    response = client.get(CASELOAD)
    assert response.status_code == 403
    assert "Sign in to the counselor dashboard first" in response.json()["detail"]


def test_the_api_only_reads(client, maya, history):
    login(client, maya)
    assert client.post(CASELOAD).status_code == 405
    assert client.delete(scores_url(history)).status_code == 405


@pytest.mark.parametrize("couples", [5, 50])
def test_the_caseload_runs_a_fixed_number_of_queries(
    client, maya, library, couples, django_assert_num_queries
):
    grow_caseload(maya, library.get(slug="time-map"), couples)
    login(client, maya)
    # Session, user, counselor (scoping); the caseload: couples with their figures, partners
    # with theirs.
    with django_assert_num_queries(5):
        rows = client.get(CASELOAD).json()["results"]
    assert len(rows) == couples
