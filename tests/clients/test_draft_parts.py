"""A draft save names the part it carries, and is checked against the page the partner saw:
answers are only ever saved to the part they were typed into.

The page a partner reaches from Start or Continue has no part in its address (it resumes at
the first part with a question unanswered). Once an autosave completes that part, "the first
part unanswered" is the next one; a later autosave of the same page must still land on the
part it came from.
"""

import datetime as dt
import re

import pytest
from django.utils import timezone

from tests.conftest import portal_sign_in
from worksheets.assignments import assign_worksheet
from worksheets.forms import AnswerForm, form_data_from_answers, steps


@pytest.fixture
def response_a(couple, library, maya, partner_a):
    now = timezone.now()
    assignment = assign_worksheet(
        couple=couple,
        template=library.get(slug="balance-inventory"),
        due_at=now + dt.timedelta(days=5),
        assigned_by=maya,
        now=now,
    )
    return assignment.responses.get(partner=partner_a)


@pytest.fixture
def parts(response_a):
    found = steps(list(response_a.assignment.template.items.all()))
    assert len(found) >= 2
    return found


def answers_for(step, pick=0):
    """An answer to every question of the part: the `pick`-th choice, or some words."""
    data = {}
    for name, field in AnswerForm(items=step.items).fields.items():
        choices = [value for value, _ in getattr(field, "choices", []) if value != ""]
        if name.startswith("share__"):
            continue
        data[name] = str(choices[pick % len(choices)]) if choices else f"words {pick}"
    return data


def hidden_fields(page: str) -> dict:
    return dict(re.findall(r'<input type="hidden" name="(step|part)" value="([^"]*)"', page))


def draft_fields(page: str) -> dict:
    """What a page posts to say which part, which draft and which page it is."""
    pattern = r'<input type="hidden" name="(draft_version|page)" value="([^"]*)"'
    found = dict(re.findall(pattern, page))
    return {**hidden_fields(page), **found}


def test_a_later_autosave_of_the_same_page_stays_on_its_part(client, partner_a, response_a, parts):
    first, second = parts[0], parts[1]
    signed_in = portal_sign_in(client, partner_a)
    url = f"/portal/worksheets/{response_a.pk}/"
    page = hidden_fields(signed_in.get(url).content.decode())  # Continue: no part in the address
    assert page == {"step": "1", "part": first.fingerprint}

    first_answers = answers_for(first, pick=0)
    assert signed_in.post(url, {**page, **first_answers, "action": "autosave"}).status_code == 204
    changed = answers_for(first, pick=1)
    assert signed_in.post(url, {**page, **changed, "action": "autosave"}).status_code == 204

    response_a.refresh_from_db()
    saved = form_data_from_answers(response_a.answers, first.items)
    assert {key: saved.get(key) for key in changed} == {
        key: [value] if isinstance(saved.get(key), list) else value
        for key, value in changed.items()
    }
    assert changed != first_answers
    assert not any(item.key in response_a.answers for item in second.items)
    # The page after it now resumes at part 2, which is untouched.
    assert hidden_fields(signed_in.get(url).content.decode())["step"] == "2"


def test_a_post_whose_part_no_longer_matches_saves_nothing_and_says_so(
    client, partner_a, response_a, parts
):
    signed_in = portal_sign_in(client, partner_a)
    url = f"/portal/worksheets/{response_a.pk}/"
    stale = {"step": "2", "part": parts[0].fingerprint, **answers_for(parts[0])}
    answer = signed_in.post(url, {**stale, "action": "autosave"})
    assert answer.status_code == 409
    assert "out of date" in answer.content.decode()
    page = signed_in.post(url, {**stale, "action": "next"}, follow=True).content.decode()
    assert "This page was out of date, so its answers were not saved." in page
    response_a.refresh_from_db()
    assert response_a.answers == {}


@pytest.mark.parametrize("step", [None, "0", "99", "x", "1.5"])
def test_a_post_that_names_no_part_of_a_many_part_worksheet_saves_nothing(
    client, partner_a, response_a, parts, step
):
    signed_in = portal_sign_in(client, partner_a)
    data = {**answers_for(parts[0]), "action": "autosave"}
    if step is not None:
        data["step"] = step
    answer = signed_in.post(f"/portal/worksheets/{response_a.pk}/", data)
    assert answer.status_code == 409
    response_a.refresh_from_db()
    assert response_a.answers == {}


def test_an_older_tab_cannot_overwrite_what_another_tab_saved_since(
    client, partner_a, response_a, parts
):
    """Two tabs of the same part. The first saves; the second, made before that save, is
    refused (409 to an autosave, the page again with what was typed to a button) and saves
    nothing, until it is made again from the newer draft."""
    first = parts[0]
    signed_in = portal_sign_in(client, partner_a)
    url = f"/portal/worksheets/{response_a.pk}/?step=1"

    def page_fields():
        return draft_fields(signed_in.get(url).content.decode())

    tab_one, tab_two = page_fields(), page_fields()
    kept = answers_for(first, pick=0)
    answer = signed_in.post(url, {**tab_one, **kept, "action": "autosave"})
    assert answer.status_code == 204
    # The page goes on saving over its own saves, whether or not it heard back from them.
    assert signed_in.post(url, {**tab_one, **kept, "action": "autosave"}).status_code == 204
    assert signed_in.post(url, {**tab_one, **kept, "action": "save"}).status_code == 302

    response_a.refresh_from_db()
    saved = dict(response_a.answers)
    older = answers_for(first, pick=1)
    assert signed_in.post(url, {**tab_two, **older, "action": "autosave"}).status_code == 409
    refused = signed_in.post(url, {**tab_two, **older, "action": "save"})
    assert refused.status_code == 409
    page = refused.content.decode()
    assert "saved in another window or on another device" in page
    # What tab two chose is on the page again, not lost.
    key, value = next(iter(older.items()))
    assert re.search(rf'name="{key}" value="{value}"[^>]*checked', page), key
    response_a.refresh_from_db()
    assert response_a.answers == saved

    # Saving again from the page made of the newer draft keeps tab two's answers, knowingly.
    again = draft_fields(page)
    assert signed_in.post(url, {**again, **older, "action": "save"}).status_code == 302
    response_a.refresh_from_db()
    assert response_a.answers != saved
    assert form_data_from_answers(response_a.answers, first.items)[key] in (value, [value])


def test_an_older_page_keeps_a_choice_not_to_share_on_the_page_it_comes_back_to(
    client, partner_a, response_a, parts
):
    first = parts[0]
    signed_in = portal_sign_in(client, partner_a)
    url = f"/portal/worksheets/{response_a.pk}/?step=1"
    shown = signed_in.get(url).content.decode()
    tab_one, tab_two = draft_fields(shown), draft_fields(signed_in.get(url).content.decode())
    shared = sorted(set(re.findall(r'name="(share__\w+)"', shown)))
    assert shared, "the part has an answer the partner may keep back"
    answers = answers_for(first, pick=0)
    everything_shared = dict.fromkeys(shared, "on")
    assert signed_in.post(url, {**tab_one, **answers, **everything_shared, "action": "save"})
    refused = signed_in.post(url, {**tab_two, **answers, "action": "save"})  # nothing shared
    assert refused.status_code == 409
    page = refused.content.decode()
    for name in shared:
        box = re.search(rf'<input[^>]*name="{name}"[^>]*>', page).group(0)
        assert "checked" not in box, name


def test_a_safety_answer_from_an_older_page_is_kept_and_raises_the_alert(
    client, couple, library, maya, partner_a
):
    from therapy.models import Alert
    from worksheets.assignments import assign_worksheet

    now = timezone.now()
    check = assign_worksheet(
        couple=couple,
        template=library.get(slug="safety-check"),
        due_at=now + dt.timedelta(days=2),
        assigned_by=maya,
        now=now,
        for_partner=partner_a,
    ).responses.get()
    signed_in = portal_sign_in(client, partner_a)
    url = f"/portal/worksheets/{check.pk}/?step=1"
    tab_one = draft_fields(signed_in.get(url).content.decode())
    tab_two = draft_fields(signed_in.get(url).content.decode())
    assert signed_in.post(url, {**tab_one, "felt_scared": "never", "action": "autosave"})
    answer = signed_in.post(url, {**tab_two, "felt_scared": "often", "action": "autosave"})
    assert answer.status_code == 204
    check.refresh_from_db()
    assert check.answers["felt_scared"] == "often"
    assert Alert.objects.filter(kind=Alert.Kind.SAFETY, response=check).exists()
