"""A partner's own progress over time: their map and subscales, from their stored scores, and
never anything of the other partner's."""

import datetime as dt

from django.utils import timezone

from tests.conftest import portal_sign_in
from worksheets.assignments import assign_worksheet
from worksheets.responses import submit_response


def check_in(couple, checkin, maya, when, answers_by_partner):
    assignment = assign_worksheet(
        couple=couple, template=checkin, due_at=when + dt.timedelta(days=3), assigned_by=maya,
        now=when,
    )
    for partner, answers in answers_by_partner.items():
        response = assignment.responses.get(partner=partner)
        submit_response(
            response_id=response.pk, partner=partner, now=when + dt.timedelta(hours=1),
            answers={"needs_on_hold": 1, "went_it_alone": 1, "balance_felt_right": 3, **answers},
        )


def test_a_partner_sees_their_own_path_and_subscales_and_nothing_of_the_other(
    client, couple, checkin, maya, partner_a, partner_b
):
    start = timezone.now() - dt.timedelta(weeks=3)
    check_in(couple, checkin, maya, start, {
        partner_a: {"confided": 2, "own_time": 2},
        partner_b: {"confided": 5, "own_time": 5, "went_it_alone": 5},
    })
    check_in(couple, checkin, maya, start + dt.timedelta(weeks=1), {
        partner_a: {"confided": 4, "own_time": 3},
    })
    portal_sign_in(client, partner_a)
    home = client.get("/portal/").content.decode()
    assert 'href="/portal/progress/"' in home
    page = client.get("/portal/progress/").content.decode()
    assert "Your progress" in page and "not a diagnosis" in page
    assert page.count("<polyline") == 1  # Sam's path only
    rows = page.split("Each time, in numbers")[1].split("</table>")[0]
    assert rows.count("<tr>") == 3  # the header and Sam's two check-ins
    assert "Little of either, for now" in rows and "Close, less room of one" in rows
    assert "Leaning on your partner" in page and "Room for your own life" in page
    # Every figure of Alex's is a 5, and Alex is "Close and distinct"; Sam's are 1 to 4.
    assert "<td>5</td>" not in page and "Close and distinct" not in page
    assert "Alex" not in page


def test_a_partner_with_nothing_handed_in_reads_a_plain_note(client, couple, partner_a):
    portal_sign_in(client, partner_a)
    page = client.get("/portal/progress/").content.decode()
    assert "Nothing yet" in page


def test_the_progress_page_needs_a_signed_in_partner(client, db):
    answer = client.get("/portal/progress/", follow=True)
    assert "Your progress" not in answer.content.decode()


def test_worksheets_without_scores_are_not_called_nothing(client, couple, library, maya,
                                                          partner_a):
    time_map = library.get(slug="time-map")
    now = timezone.now()
    response = assign_worksheet(
        couple=couple, template=time_map, due_at=now + dt.timedelta(days=3), assigned_by=maya,
        now=now,
    ).responses.get(partner=partner_a)
    submit_response(response_id=response.pk, partner=partner_a, now=now,
                    answers={"preferred_togetherness": 5, "guess_partner_togetherness": 5})
    portal_sign_in(client, partner_a)
    page = client.get("/portal/progress/").content.decode()
    assert "have no scores to follow over time" in page and "Nothing yet" not in page
