"""The partners' gap in preferred balance is kept on the submission that completes the pair."""

import datetime as dt
import threading
import time

import pytest
from django.db import connection, transaction
from django.utils import timezone

from worksheets.assignments import assign_worksheet
from worksheets.models import Response
from worksheets.responses import submit_response


def time_map(couple, library, counselor, now):
    assignment = assign_worksheet(
        couple=couple,
        template=library.get(slug="time-map"),
        assigned_by=counselor,
        due_at=now + dt.timedelta(days=5),
        now=now,
    )
    return {r.partner_id: r for r in assignment.responses.all()}


def answer(response, balance, now):
    return submit_response(
        response_id=response.pk,
        partner=response.partner,
        answers={"preferred_togetherness": balance},
        now=now,
    )


def test_the_second_submission_carries_the_gap(couple, library, maya, partner_a, partner_b):
    now = timezone.now()
    responses = time_map(couple, library, maya, now)
    first = answer(responses[partner_a.pk], 8, now)
    assert first.balance_gap is None
    second = answer(responses[partner_b.pk], 3, now + dt.timedelta(hours=2))
    assert second.balance_gap == 5
    first.refresh_from_db()
    assert first.balance_gap is None


@pytest.mark.django_db(transaction=True)
def test_partners_submitting_at_the_same_moment_still_get_their_gap(
    couple, library, maya, partner_a, partner_b
):
    now = timezone.now()
    responses = time_map(couple, library, maya, now)
    first_inside, let_first_commit = threading.Event(), threading.Event()
    finished = []

    def first_partner():
        try:
            with transaction.atomic():
                answer(responses[partner_a.pk], 9, now)
                first_inside.set()
                let_first_commit.wait(timeout=10)
        finally:
            finished.append("first")
            connection.close()

    def second_partner():
        try:
            answer(responses[partner_b.pk], 2, now)
        finally:
            finished.append("second")
            connection.close()

    threads = [threading.Thread(target=first_partner), threading.Thread(target=second_partner)]
    threads[0].start()
    assert first_inside.wait(timeout=10)
    threads[1].start()
    time.sleep(0.5)
    assert threads[1].is_alive(), "the second submission did not wait for the first"
    let_first_commit.set()
    for thread in threads:
        thread.join(timeout=10)
    assert finished == ["first", "second"]
    gaps = dict(
        Response.objects.filter(assignment__couple=couple).values_list("partner", "balance_gap")
    )
    assert gaps == {partner_a.pk: None, partner_b.pk: 7}
