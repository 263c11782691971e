"""The couple page as the counselor reads it: a summary first (the map, the patterns, what
is open), then the detail, with completion grouped by worksheet and by week."""

import datetime as dt
import re

from django.urls import reverse
from django.utils import timezone

from tests.conftest import login
from tests.therapy.conftest import week_of_answers


def couple_page(client, couple):
    return client.get(reverse("admin:clients_couple_overview", args=[couple.pk])).content.decode()


def test_the_summary_comes_before_the_detail(client, maya, history):
    login(client, maya)
    page = couple_page(client, history)
    order = [
        'id="map-heading"',
        'id="patterns-heading"',
        'id="alerts-heading"',
        'id="completion-heading"',
        'id="private-answers"',
        "Scores over time",
        "<h2>Notes</h2>",
        'id="change-history"',
    ]
    positions = [page.index(marker) for marker in order]
    assert positions == sorted(positions)
    # The map's table of points is there, folded under the map.
    assert re.search(r"<summary>Each point of the map, as a table \(\d+\)</summary>", page)


def test_completion_is_grouped_by_worksheet_with_a_row_a_week(client, maya, history, checkin):
    week_of_answers(history, checkin, maya, timezone.now() - dt.timedelta(days=9), (5, 5))
    login(client, maya)
    page = couple_page(client, history)
    completion = page.split('id="completion-heading"')[1].split("</section>")[0]
    captions = re.findall(r"<caption>([^<]+) <span", completion)
    assert captions == ["Weekly check-in on closeness and space", "Your time map"]
    time_map = completion.split("<caption>Your time map")[1].split("</table>")[0]
    assert "· 6 of 6 handed in" in time_map
    headers = re.findall(r'<th scope="col">([^<]+)</th>', time_map)
    assert headers == ["Week of", "Due", "Sam", "Alex"]
    weeks = re.findall(r'<th scope="row">([^<]+)</th>', time_map)
    assert len(weeks) == 3  # three fortnights, one row each, not six flat rows
    assert time_map.count('class="state state-submitted"') == 6
    # Every week starts on a Monday, written as the dashboard writes short dates.
    assert all(re.fullmatch(r"[A-Z][a-z]{2} \d{1,2}", week) for week in weeks)


def test_a_plain_visit_shows_no_error_on_the_note_form(client, maya, history):
    login(client, maya)
    assert "This field is required." not in couple_page(client, history)
