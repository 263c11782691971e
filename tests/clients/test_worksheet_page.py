import datetime as dt

import pytest
from django.utils import timezone

from tests.conftest import fill_in, portal_sign_in
from worksheets.assignments import assign_worksheet
from worksheets.models import Response

VALID = {
    "confided": "4",
    "own_time": "3",
    "needs_on_hold": "2",
    "went_it_alone": "1",
    "balance_felt_right": "5",
    "note_for_counselor": "We talked more this week.",
}


@pytest.fixture
def assignment(couple, checkin, maya):
    now = timezone.now()
    return assign_worksheet(
        couple=couple,
        template=checkin,
        due_at=now + dt.timedelta(days=5),
        assigned_by=maya,
        now=now,
    )


@pytest.fixture
def response_a(assignment, partner_a):
    return assignment.responses.get(partner=partner_a)


@pytest.fixture
def signed_in(client, partner_a):
    return portal_sign_in(client, partner_a)


def test_home_lists_the_open_worksheet_with_its_due_date(signed_in, response_a):
    page = signed_in.get("/portal/").content.decode()
    assert "Weekly check-in on closeness and space" in page
    assert "Not started" in page
    assert f"/portal/worksheets/{response_a.pk}/" in page


def test_the_worksheet_page_shows_every_question(signed_in, response_a):
    page = signed_in.get(f"/portal/worksheets/{response_a.pk}/").content.decode()
    assert "This week I told my partner about something that worried me." in page
    assert "Strongly agree" in page
    assert "0 of 6 answered" in page


def test_saving_a_draft_keeps_the_answers_for_later(signed_in, response_a):
    signed_in.post(
        f"/portal/worksheets/{response_a.pk}/",
        {"confided": "4", "note_for_counselor": "half done", "action": "save"},
    )
    response_a.refresh_from_db()
    assert response_a.status == Response.Status.DRAFT
    assert response_a.answers == {"confided": 4, "note_for_counselor": "half done"}
    page = signed_in.get(f"/portal/worksheets/{response_a.pk}/").content.decode()
    assert "half done" in page
    assert 'value="4" required id="id_confided_3" checked' in page or "checked" in page
    assert "2 of 6 answered" in page


def test_submitting_with_missing_answers_explains_and_loses_nothing(signed_in, response_a):
    response = signed_in.post(
        f"/portal/worksheets/{response_a.pk}/",
        {"confided": "4", "note_for_counselor": "typed before the error", "action": "review"},
    )
    page = response.content.decode()
    assert response.status_code == 400
    assert page.count("Please choose an answer.") == 4
    assert "typed before the error" in page
    response_a.refresh_from_db()
    assert response_a.status == Response.Status.DRAFT
    assert response_a.answers["note_for_counselor"] == "typed before the error"


def test_an_answer_outside_the_scale_gets_a_message(signed_in, response_a):
    response = signed_in.post(
        f"/portal/worksheets/{response_a.pk}/", {**VALID, "confided": "9", "action": "review"}
    )
    assert response.status_code == 400
    assert "Please choose one of the answers shown." in response.content.decode()


def test_overlong_text_is_refused_on_submit_but_kept_in_the_draft(signed_in, response_a):
    long_text = "x" * 1200
    response = signed_in.post(
        f"/portal/worksheets/{response_a.pk}/",
        {**VALID, "note_for_counselor": long_text, "action": "review"},
    )
    assert "1000 characters or fewer" in response.content.decode()
    response_a.refresh_from_db()
    assert response_a.answers["note_for_counselor"] == long_text


def test_submitting_shows_the_result_with_the_not_a_diagnosis_note(signed_in, response_a):
    to_review = signed_in.post(
        f"/portal/worksheets/{response_a.pk}/", {**VALID, "action": "review"}
    )
    assert to_review["Location"] == f"/portal/worksheets/{response_a.pk}/review/"
    review = signed_in.get(to_review["Location"]).content.decode()
    assert "Check your answers" in review and "4 – Agree" in review
    response_a.refresh_from_db()
    assert response_a.status == Response.Status.DRAFT  # nothing is final before the review
    response = signed_in.post(to_review["Location"], follow=True)
    page = response.content.decode()
    assert response.redirect_chain[-1][0] == f"/portal/worksheets/{response_a.pk}/result/"
    assert "Thank you" in page
    assert "Leaning on your partner" in page
    assert "Open with your partner" in page  # 4 of 5 is in the top band
    assert "not a diagnosis" in page
    response_a.refresh_from_db()
    assert response_a.status == Response.Status.SUBMITTED
    assert response_a.scores["subscales"][0]["score"] == 4


def test_a_submitted_worksheet_cannot_be_changed(signed_in, response_a):
    fill_in(signed_in, response_a, VALID)
    response = signed_in.post(
        f"/portal/worksheets/{response_a.pk}/", {**VALID, "confided": "1", "action": "review"}
    )
    assert response.status_code == 302
    response_a.refresh_from_db()
    assert response_a.answers["confided"] == 4


def test_a_partner_cannot_open_the_other_partners_worksheet(signed_in, assignment, partner_b):
    other = assignment.responses.get(partner=partner_b)
    assert signed_in.get(f"/portal/worksheets/{other.pk}/").status_code == 404
    assert signed_in.get(f"/portal/worksheets/{other.pk}/result/").status_code == 404
    assert signed_in.post(f"/portal/worksheets/{other.pk}/review/").status_code == 404
    assert (
        signed_in.post(f"/portal/worksheets/{other.pk}/", {**VALID, "action": "review"}).status_code
        == 404
    )


def test_without_a_portal_session_every_page_sends_you_to_sign_in(client, response_a):
    for url in (
        "/portal/",
        f"/portal/worksheets/{response_a.pk}/",
        f"/portal/worksheets/{response_a.pk}/result/",
    ):
        assert client.get(url)["Location"] == "/portal/signed-out/"


def test_a_staff_login_does_not_open_the_portal(client, maya, response_a):
    from tests.conftest import login

    login(client, maya)
    assert client.get(f"/portal/worksheets/{response_a.pk}/")["Location"] == "/portal/signed-out/"


def test_portal_pages_are_not_cached(signed_in, response_a):
    response = signed_in.get(f"/portal/worksheets/{response_a.pk}/")
    assert "no-store" in response["Cache-Control"]


def test_a_review_with_missing_answers_says_what_and_will_not_submit(signed_in, response_a):
    signed_in.post(f"/portal/worksheets/{response_a.pk}/", {"confided": "4", "action": "save"})
    review = signed_in.post(f"/portal/worksheets/{response_a.pk}/review/")
    assert review.status_code == 400
    assert review.content.decode().count("Please choose an answer.") == 4
    response_a.refresh_from_db()
    assert response_a.status == Response.Status.DRAFT


def test_an_oversize_post_is_refused_cleanly(signed_in, response_a):
    response = signed_in.post(
        f"/portal/worksheets/{response_a.pk}/",
        {"note_for_counselor": "x" * 300_000, "action": "save"},
    )
    assert response.status_code == 400


def test_an_unknown_action_only_saves(signed_in, response_a):
    response = signed_in.post(
        f"/portal/worksheets/{response_a.pk}/", {"confided": "2", "action": "<script>"}
    )
    assert response.status_code == 302
    response_a.refresh_from_db()
    assert response_a.answers == {"confided": 2}


def test_a_partner_may_keep_a_shareable_answer_private(signed_in, response_a):
    signed_in.post(
        f"/portal/worksheets/{response_a.pk}/", {**VALID, "share__own_time": "on", "action": "save"}
    )
    response_a.refresh_from_db()
    # confided and balance_felt_right were left unticked; own_time stays shared.
    assert response_a.withheld == ["balance_felt_right", "confided"]
    page = signed_in.get(f"/portal/worksheets/{response_a.pk}/").content.decode()
    assert 'name="share__own_time" id="share-own_time" checked' in page
    assert 'name="share__confided" id="share-confided">' in page
