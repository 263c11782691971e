"""Filling in a worksheet: one section at a time, a review, then the result.

Every step saves a draft, so nothing typed is lost and the work can be resumed on another
device; the explicit buttons work without JavaScript, and a small script also saves drafts
as the partner types.
"""

import secrets

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from clients import portal
from therapy.access import get_response_of_partner, reveals_in_session, shared_view_for
from worksheets.answers import answer_text
from worksheets.follow_ups import earlier_answer_for
from worksheets.forms import (
    AnswerForm,
    draft_answers,
    form_data_from_answers,
    initial_from_answers,
    steps,
)
from worksheets.interdependence import partner_map
from worksheets.models import Assignment, WorksheetItem
from worksheets.responses import (
    DraftChanged,
    ResponseClosed,
    draft_version,
    save_draft,
    shared_item_keys,
    submit_response,
)

_ACTIONS = {"next", "back", "save", "review", "autosave"}
# What autosave shows for a save it could not make (clients/static/clients/autosave.js).
DRAFT_CHANGED = (
    "Not saved: this worksheet was saved in another window or on another device since this "
    "page was opened. Copy anything long, then reload the page."
)
STALE_PART = "Not saved: this page is out of date. Copy anything long, then reload the page."
STALE_PAGE = (
    "This page was out of date, so its answers were not saved. Here is the worksheet as it "
    "is now; please check this part again."
)


def _open_response(request, response_id):
    """The partner's own response, if it can still be worked on; else the page to go to."""
    response = get_response_of_partner(request.partner, response_id)
    if response.is_submitted:
        return response, redirect("portal:result", response_id=response.pk)
    if not response.assignment.is_active:
        return response, _closed_page(request, response)
    return response, None


def _closed_page(request, response):
    """The worksheet was paused or closed: nothing more can be saved to it. What the partner
    had just written comes back on the page, so that they can copy it rather than lose it."""
    typed = []
    if request.method == "POST":
        for item in response.assignment.template.items.all():
            text = request.POST.get(item.key, "").strip()
            if item.kind == WorksheetItem.Kind.TEXT and text:
                typed.append((item.prompt, text))
    context = {
        "response": response,
        "paused": response.assignment.status == Assignment.Status.PAUSED,
        "typed": typed,
    }
    return render(request, "clients/closed.html", context, status=410)


def _step_number(raw, count: int) -> int:
    try:
        return min(max(int(raw), 1), count)
    except (TypeError, ValueError):
        return 1


def resume_step(sections, answers: dict):
    """Where to pick up: the first part with a question not yet answered."""
    for step in sections:
        if any(answers.get(item.key) in (None, "", [], {}) for item in step.items):
            return step
    return sections[-1]


def posted_step(request, sections):
    """The part a post carries: the page names it (a hidden `step`, or `?step=` in the
    address; a worksheet of one part needs neither) and carries the part's fingerprint back.
    None when the post names no part, or a
    part whose questions are not the ones the page showed: such a post must not be applied
    to whatever part the partner would resume at now."""
    raw = request.POST.get("step") or request.GET.get("step")
    if raw is None and len(sections) == 1:
        raw = 1  # one part: nothing to mistake it for
    try:
        number = int(raw)
    except (TypeError, ValueError):
        return None
    if not 1 <= number <= len(sections):
        return None
    step = sections[number - 1]
    fingerprint = request.POST.get("part")
    if fingerprint is not None and fingerprint != step.fingerprint:
        return None
    return step


def _step_url(response, number: int) -> str:
    return f"{reverse('portal:worksheet', args=[response.pk])}?step={number}"


@portal.partner_required
@require_http_methods(["GET", "POST"])
def worksheet(request, response_id):
    response, elsewhere = _open_response(request, response_id)
    if elsewhere:
        return elsewhere
    all_items = list(response.assignment.template.items.all())
    sections = steps(all_items)
    if "step" in request.GET:
        step = sections[_step_number(request.GET["step"], len(sections)) - 1]
    else:
        step = resume_step(sections, response.answers)
    if request.method == "GET":
        form = AnswerForm(
            items=step.items,
            initial=initial_from_answers(response.answers, step.items),
            first_number=step.first_number,
        )
        return _render_step(request, response, form, sections, step, all_items)
    action = request.POST.get("action")
    if action not in _ACTIONS:
        action = "save"
    step = posted_step(request, sections)
    if step is None:
        if action == "autosave":
            return HttpResponse(STALE_PART, status=409, content_type="text/plain")
        messages.error(request, STALE_PAGE)
        return redirect("portal:worksheet", response_id=response.pk)
    shareable = shared_item_keys(response.assignment, step.items)
    typed = draft_answers(request.POST, step.items)
    withheld = {key for key in shareable if request.POST.get(f"share__{key}") != "on"}
    try:
        save_draft(
            response_id=response.pk,
            partner=request.partner,
            answers=typed,
            now=request.now,
            item_keys={item.key for item in step.items},
            withheld=withheld,
            version=request.POST.get("draft_version"),
            page=request.POST.get("page", "")[:32],
        )
    except DraftChanged:
        if action == "autosave":
            return HttpResponse(DRAFT_CHANGED, status=409, content_type="text/plain")
        # What was typed here comes back, unsaved, with the choices to share or not that
        # came with it, on a page made from the newer draft: a second save keeps it,
        # knowingly.
        response.refresh_from_db()
        response.withheld = sorted(
            {key for key in response.withheld if key not in shareable} | withheld
        )
        form = AnswerForm(
            items=step.items,
            initial=initial_from_answers(typed, step.items),
            first_number=step.first_number,
        )
        return _render_step(
            request, response, form, sections, step, all_items, status=409, conflict=True
        )
    except ResponseClosed:
        # Handed in elsewhere, or paused or closed, since the page was opened.
        response.refresh_from_db()
        response.assignment.refresh_from_db()
        if response.is_submitted:
            return redirect("portal:result", response_id=response.pk)
        return _closed_page(request, response)
    if action == "autosave":
        return HttpResponse(status=204)
    if action == "back":
        return redirect(_step_url(response, step.number - 1))
    if action == "save":
        messages.success(request, "Your answers are saved. You can come back and finish later.")
        return redirect(_step_url(response, step.number))
    # Next and review: check this section first, and say what needs another look.
    form = AnswerForm(request.POST, items=step.items, first_number=step.first_number)
    if not form.is_valid():
        response.refresh_from_db()
        return _render_step(request, response, form, sections, step, all_items, status=400)
    if action == "next" and step.number < len(sections):
        return redirect(_step_url(response, step.number + 1))
    return redirect("portal:review", response_id=response.pk)


def _render_step(request, response, form, sections, step, all_items, status=200, conflict=False):
    answered = sum(
        1 for item in all_items if response.answers.get(item.key) not in (None, "", [], {})
    )
    context = {
        "response": response,
        "worksheet": response.assignment.template,
        "form": form,
        "questions": form.questions(),
        "answered": answered,
        "total": len(all_items),
        "step": step,
        "step_count": len(sections),
        "shared_keys": shared_item_keys(response.assignment, step.items),
        "withheld": set(response.withheld),
        "time_zone": response.partner.time_zone,
        "now": request.now,
        # A follow-up shows the partner their own earlier answer it is about.
        "earlier_answer": earlier_answer_for(response),
        "draft_version": draft_version(response),
        "page_token": secrets.token_urlsafe(16),
        "conflict": conflict,
    }
    return render(request, "clients/worksheet.html", context, status=status)


@portal.partner_required
@require_http_methods(["GET", "POST"])
def review(request, response_id):
    """Every answer on one page before the final submit; submitting cannot be undone."""
    response, elsewhere = _open_response(request, response_id)
    if elsewhere:
        return elsewhere
    items = list(response.assignment.template.items.all())
    form = AnswerForm(form_data_from_answers(response.answers, items), items=items)
    complete = form.is_valid()
    if request.method == "POST" and complete:
        try:
            submit_response(
                response_id=response.pk,
                partner=request.partner,
                answers=form.answers(),
                now=request.now,
            )
        except ResponseClosed as closed:
            messages.error(request, str(closed))
            return redirect("portal:home")
        return redirect("portal:result", response_id=response.pk)
    step_of = {item.key: step.number for step in steps(items) for item in step.items}
    rows = [
        {
            "item": item,
            "answer": answer_text(item, response.answers.get(item.key)),
            "problem": " ".join(question.errors),
            "step_url": _step_url(response, step_of[item.key]),
            "shared": item.key in shared_item_keys(response.assignment, [item])
            and item.key not in response.withheld,
        }
        for item, question in zip(items, form.questions(), strict=True)
    ]
    context = {
        "response": response,
        "worksheet": response.assignment.template,
        "rows": rows,
        "complete": complete,
        # A follow-up asks about what the partner planned: the plan stays in sight to the end.
        "earlier_answer": earlier_answer_for(response),
    }
    status = 400 if request.method == "POST" else 200
    return render(request, "clients/review.html", context, status=status)


@portal.partner_required
def result(request, response_id):
    response = get_response_of_partner(request.partner, response_id)
    if not response.is_submitted:
        return redirect("portal:worksheet", response_id=response.pk)
    shared = shared_view_for(response)
    context = {
        "response": response,
        "worksheet": response.assignment.template,
        "scores": response.scores,
        "map": partner_map(response.scores),
        # Kept for the session by the counselor's choice, or because joint work was paused
        # when the pair completed: the page is the same either way.
        "in_session": reveals_in_session(response),
        "shared": shared,
        "shared_rows": _shared_rows(response, shared),
    }
    return render(request, "clients/result.html", context)


def _shared_rows(response, shared) -> list[dict]:
    """One row per shared question, numbered as on the worksheet and the review page. Only
    what shared_view_for lets this partner see; anything else reads "Not shared"."""
    if not shared:
        return []
    number = {
        item.key: n for n, item in enumerate(response.assignment.template.items.all(), start=1)
    }
    return [
        {
            "number": number[item.key],
            "prompt": item.prompt,
            "mine": _shown(item, mine),
            "theirs": _shown(item, theirs),
        }
        for item, mine, theirs in shared.rows
    ]


def _shown(item, answer) -> str | None:
    return None if answer is None else answer_text(item, answer)
