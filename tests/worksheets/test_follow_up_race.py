"""Two runs of the follow-up job at once (a beat overlap, a redelivered task) assign one
follow-up, not two."""

import threading

import pytest
from django.db import connection, transaction

from tests.worksheets.test_follow_ups import A_WEEK_ON, PLAN, hand_in_time_map
from worksheets.follow_ups import FOLLOW_UP_SLUG, assign_due_follow_ups
from worksheets.models import Assignment, Response

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def planned(couple, library, maya, partner_a):
    return hand_in_time_map(
        couple=couple,
        template=library.get(slug="time-map"),
        counselor=maya,
        answers={partner_a: PLAN},
    )


def run_in_threads(count: int) -> list[int]:
    start = threading.Barrier(count)
    results = []

    def run():
        try:
            start.wait()
            results.append(assign_due_follow_ups(now=A_WEEK_ON))
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def test_two_runs_at_once_assign_one_follow_up(planned):
    results = run_in_threads(2)
    assert sorted(results) == [0, 1]
    assert Assignment.objects.filter(template__slug=FOLLOW_UP_SLUG).count() == 1


def test_a_run_that_finds_the_answer_being_followed_up_skips_it(planned, partner_a):
    source = planned.responses.get(partner=partner_a)
    with transaction.atomic():
        # Another run holds the time-map response while it assigns the follow-up.
        Response.objects.select_for_update().get(pk=source.pk)
        assert run_in_threads(1) == [0]
    assert assign_due_follow_ups(now=A_WEEK_ON) == 1
