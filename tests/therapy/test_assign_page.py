"""The assign page as the counselor sees it: who may see each answer as one compact table,
and only the repeat details the chosen repeat uses."""

import datetime as dt
import re

from django.urls import reverse
from django.utils import timezone

from tests.conftest import login
from tests.therapy.test_couple_workflow import visibility_as_in_template
from worksheets.models import Assignment


def assign_page(client, couple, template):
    url = reverse("admin:clients_couple_assign", args=[couple.pk])
    return client.get(url, {"template": template.pk}).content.decode()


def post(client, couple, template, **fields):
    url = reverse("admin:clients_couple_assign", args=[couple.pk])
    due = (timezone.now() + dt.timedelta(days=7)).date().isoformat()
    data = {"template": template.pk, "due_date": due, "confirm": "1"}
    return client.post(url, {**data, **visibility_as_in_template(template), **fields})


def test_sharing_is_a_table_with_a_row_per_question_and_a_column_per_choice(
    client, maya, couple, checkin
):
    login(client, maya)
    page = assign_page(client, couple, checkin)
    table = page.split('<table class="sharing"')[1].split("</table>")[0]
    headers = re.findall(r'<th scope="col"[^>]*>([^<]*)</th>', table)
    assert headers == ["Question", "Private", "Shared with the partner"]
    items = list(checkin.items.exclude(visibility="never"))
    assert table.count('<th scope="row"') == len(items)
    first = items[0]
    assert f'<th scope="row" id="question-{first.key}">' in table
    # Each button is labelled by its choice and described by its question.
    radios = re.findall(rf'<input type="radio" name="visibility__{first.key}"[^>]*>', table)
    assert len(radios) == 2
    assert all(f'aria-describedby="question-{first.key}"' in radio for radio in radios)
    assert '<span class="choice-name">Private</span>' in table
    assert "<ul" not in table  # not the radio lists of before


def test_repeat_details_say_which_repeat_uses_them_for_the_script(client, maya, couple, checkin):
    login(client, maya)
    page = assign_page(client, couple, checkin)
    assert 'src="/static/therapy/assign.js"' in page
    used_by = {
        name: page.split(f'id="id_{name}"')[0].rsplit("data-used-by=", 1)[1].split(">")[0]
        for name in ("interval_days", "repeat_until", "max_occurrences")
    }
    assert used_by == {
        "interval_days": '"every_n_days"',
        "repeat_until": '"every_n_days before_session"',
        "max_occurrences": '"every_n_days before_session"',
    }


def test_a_once_only_worksheet_ignores_the_repeat_details_posted_with_it(
    client, maya, couple, checkin
):
    login(client, maya)
    response = post(
        client, couple, checkin, recurrence="once", interval_days="banana", max_occurrences="-4"
    )
    assert response.status_code == 302
    assignment = Assignment.objects.get(couple=couple)
    assert (assignment.recurrence, assignment.interval_days, assignment.max_occurrences) == (
        "once",
        7,
        None,
    )


def test_a_repeating_worksheet_still_checks_its_details(client, maya, couple, checkin):
    login(client, maya)
    response = post(client, couple, checkin, recurrence="every_n_days", interval_days="banana")
    assert response.status_code == 400
    assert "Enter a whole number." in response.content.decode()
    assert not Assignment.objects.exists()
