"""Wording a partner reads: instructions that match the controls shown, one numbering of the
questions everywhere, and guesses told as how close one partner's picture of the other was."""

import datetime as dt
import re

import pytest
from django.utils import timezone
from django.utils.html import escape

from tests.conftest import portal_sign_in
from worksheets.assignments import assign_worksheet
from worksheets.forms import steps
from worksheets.responses import submit_response

# Words for a control the portal does not show: its 0-10 scales are radio buttons.
NOT_OUR_CONTROLS = re.compile(r"slider|\bslide\b|\bdrag\b|move the (dot|handle|marker)", re.I)
# Test-like words about how close a guess was.
TEST_WORDS = re.compile(
    r"% right|\bcorrect(ly)?\b|\bwrong\b|\baccuracy\b|\bscored?\b|\bpassed\b|\bfailed\b|\bgrade",
    re.I,
)


def _assign(couple, template, maya):
    now = timezone.now()
    return assign_worksheet(
        couple=couple,
        template=template,
        due_at=now + dt.timedelta(days=5),
        assigned_by=maya,
        now=now,
    )


def _pages(client, response, parts: int) -> list[str]:
    return [
        client.get(f"/portal/worksheets/{response.pk}/?step={n}").content.decode()
        for n in range(1, parts + 1)
    ]


@pytest.mark.parametrize(
    "slug", ["balance-inventory", "time-map", "needs-conversation", "weekly-checkin"]
)
def test_scale_questions_are_radio_buttons_and_their_instructions_say_so(
    client, couple, library, maya, partner_a, slug
):
    template = library.get(slug=slug)
    response = _assign(couple, template, maya).responses.get(partner=partner_a)
    portal_sign_in(client, partner_a)
    items = list(template.items.all())
    page = "".join(_pages(client, response, len(steps(items))))
    assert not NOT_OUR_CONTROLS.search(page)
    assert 'type="range"' not in page
    for item in items:
        if item.kind == "scale":
            assert f'name="{item.key}" value="10"' in page and 'type="radio"' in page
            assert "choose" in item.help_text.lower() and "0 to 10" in item.help_text


def test_one_numbering_across_the_parts_the_review_and_the_side_by_side(
    client, couple, library, maya, partner_a, partner_b
):
    inventory = library.get(slug="balance-inventory")
    assignment = _assign(couple, inventory, maya)
    items = list(inventory.items.all())
    parts = steps(items)
    assert len(parts) > 1
    mine = assignment.responses.get(partner=partner_a)
    portal_sign_in(client, partner_a)
    worksheet = "".join(_pages(client, mine, len(parts)))
    for number, item in enumerate(items, start=1):
        assert f"{number}. {escape(item.prompt)}" in worksheet

    answers = dict.fromkeys((item.key for item in items), 3)
    submit_response(
        response_id=assignment.responses.get(partner=partner_b).pk,
        partner=partner_b,
        answers=answers,
        now=timezone.now(),
    )
    # The review, from the saved draft, numbers them the same way.
    mine.answers = answers
    mine.status = "draft"
    mine.save()
    review = client.get(f"/portal/worksheets/{mine.pk}/review/").content.decode()
    for number, item in enumerate(items, start=1):
        assert f"{number}. {escape(item.prompt)}" in review
    client.post(f"/portal/worksheets/{mine.pk}/review/")
    result = client.get(f"/portal/worksheets/{mine.pk}/result/").content.decode()
    shared = [
        (number, item)
        for number, item in enumerate(items, start=1)
        if assignment.visibility_of(item) == "shared"
    ]
    assert len(shared) > 10
    for number, item in shared:
        assert f"{number}. {escape(item.prompt)}</th>" in result


def test_guesses_read_as_how_close_a_picture_was_never_as_a_test(
    client, couple, library, maya, partner_a, partner_b
):
    inventory = library.get(slug="balance-inventory")
    assignment = _assign(couple, inventory, maya)
    for partner, value in ((partner_a, 4), (partner_b, 2)):
        submit_response(
            response_id=assignment.responses.get(partner=partner).pk,
            partner=partner,
            answers={item.key: value for item in inventory.items.all()},
            now=timezone.now(),
        )
    portal_sign_in(client, partner_a)
    mine = assignment.responses.get(partner=partner_a)
    page = client.get(f"/portal/worksheets/{mine.pk}/result/").content.decode()
    assert "How close your picture of Alex was:" in page
    assert "How close Alex's picture of you was:" in page
    assert "Not a test: a picture that is off is a good way into a conversation." in page
    guesses = page[page.index("How close your picture") : page.index("Not a test")]
    assert not TEST_WORDS.search(guesses)
