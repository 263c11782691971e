"""What the brief tells a counselor, on the page and on paper: each partner's figures and which
way they moved, how close their pictures of each other were, the counselor's own ratings,
homework done, missed and open, and prompts that follow what changed. The page and the PDF
come from one template, so both say the same; a typical couple's PDF is one sheet with no
word broken."""

import datetime as dt
import io
import re
from html.parser import HTMLParser

import pytest
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from tests.conftest import login
from therapy.brief import session_brief
from therapy.models import CounselingSession
from therapy.patterns import Pattern
from therapy.session_prompts import MOST, MapMove, choose_prompts
from worksheets.assignments import assign_worksheet
from worksheets.responses import submit_response

CALM = {"confided": 3, "own_time": 3, "needs_on_hold": 2, "went_it_alone": 2}


def _check_in(couple, template, counselor, at, answers_by_partner, *, due_in=6):
    """Both partners (in pk order) answer one weekly check-in assigned at `at`; a partner
    whose answers are None leaves it open."""
    assignment = assign_worksheet(
        couple=couple,
        template=template,
        assigned_by=counselor,
        due_at=at + dt.timedelta(days=due_in),
        now=at,
    )
    responses = list(assignment.responses.order_by("partner_id"))
    for response, answers in zip(responses, answers_by_partner, strict=True):
        if answers is not None:
            submit_response(
                response_id=response.pk,
                partner=response.partner,
                answers={**CALM, "balance_felt_right": 4, **answers},
                now=at + dt.timedelta(hours=2),
            )
    return responses


@pytest.fixture
def typical(history, checkin, maya):
    """The three time maps of `history`, a session a week ago, and since then a check-in each
    (Sam confiding more and keeping less time of his own) that the counselor rated, one
    check-in Alex missed and one still open."""
    now = timezone.now()
    CounselingSession.objects.create(
        couple=history, counselor=maya, starts_at=now - dt.timedelta(days=15)
    )
    _check_in(history, checkin, maya, now - dt.timedelta(days=20), [CALM, CALM])
    done = _check_in(
        history,
        checkin,
        maya,
        now - dt.timedelta(days=10),
        [{"confided": 5, "own_time": 2}, None],
        due_in=3,
    )
    done[0].engagement = 4
    done[0].save(update_fields=["engagement"])
    _check_in(history, checkin, maya, now - dt.timedelta(days=1), [None, None])
    return history


def _page(client, couple) -> str:
    return client.get(reverse("admin:clients_couple_brief", args=[couple.pk])).content.decode()


def _pdf(client, couple, paper="a4") -> PdfReader:
    response = client.get(reverse("admin:clients_couple_brief", args=[couple.pk]), {"paper": paper})
    return PdfReader(io.BytesIO(response.content))


def _pdf_words(reader: PdfReader) -> list[str]:
    """The words on paper, without each page's "Page 1 of 1" at its foot."""
    text = " ".join(page.extract_text() for page in reader.pages)
    return re.sub(r"Page \d+ of \d+", " ", text).split()


class _BriefText(HTMLParser):
    """The text of the brief's own part of the admin page, without its links and scripts."""

    def __init__(self):
        super().__init__()
        self.depth, self.parts, self.skip = 0, [], 0

    def handle_starttag(self, tag, attrs):
        if self.depth:
            self.depth += 1
        elif ("id", "content-main") in attrs:
            self.depth = 1
        if tag in ("script", "style"):
            self.skip += 1

    def handle_endtag(self, tag):
        if self.depth:
            self.depth -= 1
        if tag in ("script", "style"):
            self.skip -= 1

    def handle_data(self, data):
        if self.depth and not self.skip:
            self.parts.append(data)


def _page_words(page: str) -> set[str]:
    parser = _BriefText()
    parser.feed(page)
    return {_bare(word) for word in " ".join(parser.parts).split()}


def _bare(word: str) -> str:
    return re.sub(r"^\W+|\W+$", "", word)


def test_each_partners_figures_say_which_way_they_moved_since_the_last_session(
    client, maya, typical
):
    login(client, maya)
    page = _page(client, typical)
    sam_row = page.split('<th scope="row">Sam</th>')[1].split("</tr>")[0]
    assert 'Leaning on your partner: 5 of 5 <span class="direction">(up 2)</span>' in sam_row
    assert 'Room for your own life: 2 of 5 <span class="direction">(down 1)</span>' in sam_row
    assert 'Putting your needs on hold: 2 of 5 <span class="direction">(no change)' in sam_row
    # The balance comes from the time map two weeks ago: its first figure since the session
    # before, so there is nothing earlier to compare.
    alex_row = page.split('<th scope="row">Alex</th>')[1].split("</tr>")[0]
    assert "Leaning on your partner" not in alex_row  # she handed no check-in in since


def test_the_brief_tells_homework_done_with_the_counselors_rating_missed_and_open(
    client, maya, typical
):
    login(client, maya)
    page = _page(client, typical)
    sam_row = page.split('<th scope="row">Sam</th>')[1].split("</tr>")[0]
    alex_row = page.split('<th scope="row">Alex</th>')[1].split("</tr>")[0]
    assert "(your rating 4 of 5)" in sam_row and "missed" not in sam_row
    assert '<span class="missed">missed, due' in alex_row
    assert "open, due" in alex_row and "open, due" in sam_row
    assert "your rating" not in alex_row
    assert "“Your rating”: your own rating of the homework." in page


def test_the_key_to_ratings_is_given_only_when_some_homework_was_rated(client, maya, history):
    from worksheets.models import Response

    Response.objects.filter(assignment__couple=history).update(engagement=None)
    login(client, maya)
    page = _page(client, history)
    assert "Picture of the partner" in page and "Your rating" not in page


def test_the_brief_tells_how_close_each_partners_picture_of_the_other_was(maya, history):
    brief = session_brief(history, now=timezone.now())
    # Both guessed 5 of 10; Sam wanted 8 and Alex 1, on the latest time map (6 and 4 before).
    guesses = {p.partner.display_name: p.guesses for p in brief.partners}
    assert (guesses["Sam"].now, guesses["Sam"].before) == (60, 80)
    assert (guesses["Alex"].now, guesses["Alex"].before) == (70, 80)


def test_the_prompts_follow_what_changed_and_fill_up_from_the_worksheets(maya, typical):
    brief = session_brief(typical, now=timezone.now())
    texts = [prompt.text for prompt in brief.prompts]
    whys = [prompt.why for prompt in brief.prompts]
    # The gap went 2, 4, 7: a wide and growing gap holds, so its prompt comes first.
    assert whys[0] == "A wide and growing gap in the togetherness they want"
    assert any("Sam leaned on Alex more" in why for why in whys)
    assert any(text.startswith("Sam, what made it easier to turn to Alex") for text in texts)
    # Then the worksheets' own prompts, one for each worksheet done since.
    assert "What made it easier or harder to ask for help this week?" in texts
    assert len(texts) <= MOST and len(set(texts)) == len(texts)


def test_a_quiet_fortnight_still_gets_each_worksheets_own_prompts():
    prompts = choose_prompts(
        patterns=[],
        moves=[MapMove("Sam", "Alex", "connection", 0.25)],  # too small to be a direction
        gap_change=1,
        worksheet_prompts=[("Check-in", ["First?", "Second?"]), ("Time map", ["Third?"])],
    )
    assert [p.text for p in prompts] == ["First?", "Third?", "Second?"]


def test_what_changed_never_crowds_out_the_worksheets_prompts():
    patterns = [
        Pattern(subject=s, title=s, evidence="")
        for s in ("pattern: drifting apart", "pattern: fused", "pattern: wide and growing gap")
    ]
    moves = [
        MapMove(name, other, axis, change)
        for name, other in (("Sam", "Alex"), ("Alex", "Sam"))
        for axis, change in (("connection", -1), ("autonomy", 1), ("going_alone", 1.5))
    ]
    prompts = choose_prompts(
        patterns=patterns,
        moves=moves,
        gap_change=4,
        worksheet_prompts=[("Check-in", ["First?"]), ("Time map", ["Third?"])],
    )
    assert len(prompts) == MOST
    assert [p.text for p in prompts][-2:] == ["First?", "Third?"]
    # The gap's own prompt is not repeated beside the gap pattern's.
    assert not any("pulled your wishes" in p.text for p in prompts)
    # The largest moves come first.
    assert "Sam went it alone more (+1.5)" in [p.why for p in prompts]


@pytest.mark.parametrize("paper", ["a4", "letter"])
def test_a_typical_couples_pdf_is_one_sheet_with_no_word_broken(client, maya, typical, paper):
    login(client, maya)
    reader = _pdf(client, typical, paper)
    assert len(reader.pages) == 1
    words = _page_words(_page(client, typical))
    # Every word on paper is a whole word of the page: a word split at a line's end would
    # come out as two pieces that are not.
    broken = [w for w in map(_bare, _pdf_words(reader)) if w and w not in words]
    assert broken == []


def test_the_page_and_the_pdf_say_the_same_things_in_the_same_order(client, maya, typical):
    login(client, maya)
    page = _page(client, typical)
    headings = re.findall(r"<h2[^>]*>([^<]+)</h2>", page.split('id="content-main"')[1])
    assert "Each partner since then" in headings and "Prompts for the session" in headings
    # On paper the map floats beside the sections after it, so its text may come first.
    headings.remove("The interdependence map")
    text = " ".join(_pdf_words(_pdf(client, typical)))
    positions = [text.index(heading) for heading in headings]
    assert positions == sorted(positions)
    for phrase in ("(your rating 4 of 5)", "Salsa classes together", "not a diagnosis"):
        assert phrase in page and phrase in text


def test_what_partners_told_privately_prints_on_a_sheet_of_its_own(client, maya, typical, checkin):
    """So the counselor can leave it out of anything shown in a joint session."""
    secret = "I have not told Alex about the debt yet."
    _check_in(
        typical,
        checkin,
        maya,
        timezone.now() - dt.timedelta(days=2),
        [{"note_for_counselor": secret}, None],
    )
    login(client, maya)
    reader = _pdf(client, typical)
    assert len(reader.pages) == 2
    first, second = (" ".join(page.extract_text().split()) for page in reader.pages)
    assert secret not in first and "What partners told you privately" not in first
    assert second.startswith("What partners told you privately") and secret in second


def test_the_pdf_fetches_nothing_a_partner_wrote(client, maya, couple, library):
    """A written answer is text: markup in it is printed as typed, and never loaded."""
    now = timezone.now()
    answer = '<img src="http://169.254.169.254/latest"> and <b>bold</b>'
    assignment = assign_worksheet(
        couple=couple,
        template=library.get(slug="time-map"),
        assigned_by=maya,
        due_at=now + dt.timedelta(days=6),
        now=now - dt.timedelta(days=1),
    )
    for response in assignment.responses.all():
        submit_response(
            response_id=response.pk,
            partner=response.partner,
            answers={"preferred_togetherness": 5, "new_thing_to_try": answer},
            now=now,
        )
    login(client, maya)
    text = " ".join(_pdf_words(_pdf(client, couple)))
    assert '<img src="http://169.254.169.254/latest"> and <b>bold</b>' in text


def test_the_api_brief_carries_the_same_figures_as_the_page(client, maya, typical):
    login(client, maya)
    body = client.get(reverse("api-brief", args=[typical.pk])).json()
    sam = next(p for p in body["partners"] if p["name"] == "Sam")
    alex = next(p for p in body["partners"] if p["name"] == "Alex")
    assert [
        d["engagement"]
        for d in sam["done"]
        if d["worksheet"] == "Weekly check-in on closeness and space"
    ] == [4]
    assert [m["worksheet"] for m in alex["missed"]] == ["Weekly check-in on closeness and space"]
    leaning = next(s for s in sam["scores"] if s["score"] == "Leaning on your partner")
    assert (leaning["value"], leaning["maximum"], leaning["change"]) == (5, 5, 2)
    assert body["patterns"][0]["title"] == "A wide and growing gap in the togetherness they want"
    assert body["prompts"][0]["why"] == body["patterns"][0]["title"]


def test_the_brief_tells_how_a_new_thing_to_try_went_a_week_on(client, maya, history):
    """Sam's time map two weeks ago planned salsa classes; a week on, the follow-up asked."""
    from worksheets.follow_ups import assign_due_follow_ups

    assert assign_due_follow_ups(now=timezone.now()) == 1
    sam = history.partners.get(display_name="Sam")
    follow_up = sam.responses.get(assignment__follow_up_of__isnull=False)
    login(client, maya)
    assert "follow-up not handed in yet" in _page(client, history)
    submit_response(
        response_id=follow_up.pk,
        partner=sam,
        answers={"it_happened": "partly", "felt_supported": 7, "note": "Went to one class."},
        now=timezone.now(),
    )
    page = _page(client, history)
    section = page.split("New things to try, a week on")[1].split("</ul>")[0]
    assert "<strong>Sam</strong> planned “Salsa classes together”:" in section
    assert "Partly, or I made a start; felt backed by their partner 7 of 10." in section
    assert "“Went to one class.”" in section
    assert "Went to one class." in " ".join(_pdf_words(_pdf(client, history)))
