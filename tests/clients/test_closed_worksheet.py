"""A worksheet paused or closed by the counselor while the partner is writing: nothing more is
saved to it, the page says which it is, and what the partner had just written comes back to
them (escaped) rather than being thrown away."""

import datetime as dt

import pytest
from django.utils import timezone

from tests.conftest import portal_sign_in
from worksheets.assignments import assign_worksheet, cancel_assignment, pause_assignment
from worksheets.forms import steps

WRITTEN = "We <i>finally</i> talked & it helped"
ESCAPED = "We &lt;i&gt;finally&lt;/i&gt; talked &amp; it helped"


@pytest.fixture
def open_page(client, couple, checkin, maya, partner_a):
    """Sam's check-in, open in the portal: (the signed-in client, the response, the post)."""
    now = timezone.now()
    assignment = assign_worksheet(
        couple=couple,
        template=checkin,
        due_at=now + dt.timedelta(days=5),
        assigned_by=maya,
        now=now,
    )
    response = assignment.responses.get(partner=partner_a)
    signed_in = portal_sign_in(client, partner_a)
    assert signed_in.get(f"/portal/worksheets/{response.pk}/").status_code == 200
    [step] = steps(list(checkin.items.all()))[:1]
    text_key = next(item.key for item in step.items if item.kind == "text")
    post = {"step": "1", "part": step.fingerprint, text_key: WRITTEN, "action": "save"}
    return signed_in, response, post


@pytest.mark.parametrize(
    ("close", "heading"),
    [
        (pause_assignment, "This worksheet is paused"),
        (cancel_assignment, "This worksheet is closed"),
    ],
)
def test_what_was_just_written_comes_back_when_the_work_was_paused_or_closed(
    open_page, close, heading
):
    signed_in, response, post = open_page
    close(assignment=response.assignment)
    for action in ("save", "next"):
        answer = signed_in.post(f"/portal/worksheets/{response.pk}/", {**post, "action": action})
        assert answer.status_code == 410
        page = answer.content.decode()
        assert heading in page and "What you had just written" in page
        assert ESCAPED in page and WRITTEN not in page
    response.refresh_from_db()
    assert WRITTEN not in str(response.answers)


def test_a_paused_worksheet_opened_again_says_paused_and_echoes_nothing(open_page):
    signed_in, response, _ = open_page
    pause_assignment(assignment=response.assignment)
    page = signed_in.get(f"/portal/worksheets/{response.pk}/")
    assert page.status_code == 410
    assert "This worksheet is paused" in page.content.decode()
    assert "What you had just written" not in page.content.decode()
