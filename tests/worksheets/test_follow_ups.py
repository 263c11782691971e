"""A week after a partner plans a new thing in their time map, that partner alone is asked how
it went: once, however often the job runs, and never after leaving the couple or while joint
work is paused."""

import datetime as dt

import pytest
from django.db import IntegrityError, transaction

from therapy.alerts import raise_safety_alert
from worksheets.assignments import assign_worksheet
from worksheets.follow_ups import FOLLOW_UP_SLUG, assign_due_follow_ups, follow_ups_for
from worksheets.models import Assignment, Reminder, Response
from worksheets.responses import submit_response

# A Monday afternoon in New York, where the partners live, well clear of quiet hours.
HANDED_IN = dt.datetime(2026, 11, 9, 19, 0, tzinfo=dt.UTC)
A_WEEK_ON = HANDED_IN + dt.timedelta(days=7, hours=1)
PLAN = "Join the Thursday pottery class, and have Alex ask me how it went."


def hand_in_time_map(*, couple, template, counselor, answers: dict, at=HANDED_IN):
    """Both partners get the time map; each partner hands in their own `answers[partner]`."""
    assignment = assign_worksheet(
        couple=couple,
        template=template,
        due_at=at + dt.timedelta(days=2),
        assigned_by=counselor,
        now=at - dt.timedelta(days=1),
    )
    for partner, text in answers.items():
        response = assignment.responses.get(partner=partner)
        submit_response(
            response_id=response.pk,
            partner=partner,
            answers={"preferred_togetherness": 6, "new_thing_to_try": text},
            now=at,
        )
    return assignment


@pytest.fixture
def time_map(library):
    return library.get(slug="time-map")


@pytest.fixture
def planned(couple, time_map, maya, partner_a, partner_b):
    """Sam planned something new; Alex left the question empty."""
    return hand_in_time_map(
        couple=couple,
        template=time_map,
        counselor=maya,
        answers={partner_a: PLAN, partner_b: "   "},
    )


def follow_ups():
    return Assignment.objects.filter(template__slug=FOLLOW_UP_SLUG)


def test_it_assigns_one_follow_up_a_week_later_to_the_partner_who_planned(planned, partner_a):
    assert assign_due_follow_ups(now=A_WEEK_ON) == 1
    follow_up = follow_ups().get()
    assert follow_up.only_partner == partner_a
    assert follow_up.follow_up_of == planned.responses.get(partner=partner_a)
    assert follow_up.assigned_by is None
    [response] = follow_up.responses.all()
    assert response.partner == partner_a


def test_it_is_due_by_the_end_of_the_third_day_on_the_partners_clock(planned, partner_a):
    assign_due_follow_ups(now=A_WEEK_ON)
    response = Response.objects.get(assignment__template__slug=FOLLOW_UP_SLUG)
    # Opened Monday 16 November in New York; due by the end of Thursday 19 November there.
    assert response.due_at == dt.datetime(2026, 11, 20, 4, 59, 59, 999999, tzinfo=dt.UTC)


def test_the_other_partner_gets_nothing_not_even_a_reminder(planned, partner_b):
    assign_due_follow_ups(now=A_WEEK_ON)
    assert not Response.objects.filter(
        assignment__template__slug=FOLLOW_UP_SLUG, partner=partner_b
    ).exists()
    assert not Reminder.objects.filter(
        partner=partner_b, response__assignment__template__slug=FOLLOW_UP_SLUG
    ).exists()


def test_its_invitation_goes_through_the_outbox_outside_quiet_hours(planned, partner_a):
    assign_due_follow_ups(now=A_WEEK_ON)
    invitation = Reminder.objects.get(
        response__assignment__template__slug=FOLLOW_UP_SLUG, kind=Reminder.Kind.INVITATION
    )
    assert invitation.partner == partner_a
    local = invitation.due_at.astimezone(dt.timezone(dt.timedelta(hours=-5)))
    assert dt.time(8, 0) <= local.time() < dt.time(21, 0)


def test_nothing_is_assigned_before_the_week_is_up(planned):
    assert assign_due_follow_ups(now=HANDED_IN + dt.timedelta(days=6, hours=23)) == 0
    assert not follow_ups().exists()


def test_running_it_again_assigns_nothing_more(planned):
    assert assign_due_follow_ups(now=A_WEEK_ON) == 1
    assert assign_due_follow_ups(now=A_WEEK_ON) == 0
    assert assign_due_follow_ups(now=A_WEEK_ON + dt.timedelta(hours=1)) == 0
    assert follow_ups().count() == 1


def test_the_database_refuses_a_second_follow_up_of_the_same_answer(planned, partner_a):
    assign_due_follow_ups(now=A_WEEK_ON)
    first = follow_ups().get()
    with pytest.raises(IntegrityError), transaction.atomic():
        Assignment.objects.create(
            couple=first.couple,
            template=first.template,
            due_at=first.due_at,
            created_at=A_WEEK_ON,
            follow_up_of=first.follow_up_of,
        )


def test_an_empty_answer_gets_no_follow_up(couple, time_map, maya, partner_a, partner_b):
    hand_in_time_map(
        couple=couple, template=time_map, counselor=maya, answers={partner_a: "", partner_b: " "}
    )
    assert assign_due_follow_ups(now=A_WEEK_ON) == 0
    assert not follow_ups().exists()


def test_a_draft_time_map_gets_no_follow_up(couple, time_map, maya, partner_a):
    assignment = hand_in_time_map(couple=couple, template=time_map, counselor=maya, answers={})
    response = assignment.responses.get(partner=partner_a)
    response.answers = {"new_thing_to_try": PLAN}
    response.status = Response.Status.DRAFT
    response.save()
    assert assign_due_follow_ups(now=A_WEEK_ON) == 0


def test_a_partner_who_has_left_the_couple_gets_no_follow_up(planned, partner_a):
    partner_a.removed_at = HANDED_IN + dt.timedelta(days=3)
    partner_a.save(update_fields=["removed_at"])
    assert assign_due_follow_ups(now=A_WEEK_ON) == 0
    assert not follow_ups().exists()


@pytest.mark.parametrize("status", ["paused", "closed"])
def test_a_paused_or_closed_couple_gets_no_follow_up(planned, couple, status):
    couple.status = status
    couple.save()
    assert assign_due_follow_ups(now=A_WEEK_ON) == 0


def test_no_follow_up_while_individual_work_only_and_one_once_joint_work_resumes(planned, couple):
    couple.individual_work_only = True
    couple.save()
    assert assign_due_follow_ups(now=A_WEEK_ON) == 0
    couple.individual_work_only = False
    couple.save()
    assert assign_due_follow_ups(now=A_WEEK_ON + dt.timedelta(days=1)) == 1


def test_no_follow_up_while_an_urgent_safety_alert_is_open(planned, couple, partner_a):
    raise_safety_alert(
        response=planned.responses.get(partner=partner_a),
        signal_keys=["scared"],
        now=HANDED_IN + dt.timedelta(days=2),
    )
    assert assign_due_follow_ups(now=A_WEEK_ON) == 0


def test_a_plan_more_than_two_weeks_old_is_not_followed_up(planned):
    assert assign_due_follow_ups(now=HANDED_IN + dt.timedelta(days=14, hours=1)) == 0


def test_each_partner_who_planned_gets_their_own_follow_up(
    couple, time_map, maya, partner_a, partner_b
):
    hand_in_time_map(
        couple=couple,
        template=time_map,
        counselor=maya,
        answers={partner_a: PLAN, partner_b: "Run a 5k with my sister."},
    )
    assert assign_due_follow_ups(now=A_WEEK_ON) == 2
    assert sorted(follow_ups().values_list("only_partner", flat=True)) == sorted(
        [partner_a.pk, partner_b.pk]
    )


def _submit_follow_up(partner, answers):
    response = Response.objects.get(assignment__template__slug=FOLLOW_UP_SLUG, partner=partner)
    return submit_response(response_id=response.pk, partner=partner, answers=answers, now=A_WEEK_ON)


def _couple_responses(couple):
    return list(
        Response.objects.filter(assignment__couple=couple).select_related("assignment", "partner")
    )


def test_follow_ups_for_gives_the_plan_and_what_was_handed_in(planned, couple, partner_a):
    assign_due_follow_ups(now=A_WEEK_ON)
    [open_one] = follow_ups_for(_couple_responses(couple))
    assert (open_one.partner, open_one.new_thing, open_one.submitted) == (partner_a, PLAN, False)
    assert (open_one.happened, open_one.supported) == (None, None)
    _submit_follow_up(
        partner_a, {"it_happened": "partly", "felt_supported": 8, "note": "Went once"}
    )
    [done] = follow_ups_for(_couple_responses(couple))
    assert done.submitted and done.submitted_at == A_WEEK_ON
    assert (done.happened, done.happened_text) == ("partly", "Partly, or I made a start")
    assert (done.supported, done.note) == (8, "Went once")


def test_follow_ups_for_takes_two_queries_whatever_the_number(
    couple, daniels_couple, time_map, maya, daniel, django_assert_num_queries
):
    for each, counselor in ((couple, maya), (daniels_couple, daniel)):
        first, second = each.partners.order_by("pk")
        hand_in_time_map(
            couple=each, template=time_map, counselor=counselor, answers={first: PLAN, second: "x"}
        )
    assign_due_follow_ups(now=A_WEEK_ON)
    one_couple = _couple_responses(couple)
    both = [*one_couple, *_couple_responses(daniels_couple)]
    # 1. the time-map responses followed up, 2. the "did it happen" items
    with django_assert_num_queries(2):
        assert len(follow_ups_for(one_couple)) == 2
    with django_assert_num_queries(2):
        assert len(follow_ups_for(both)) == 4


def test_follow_ups_for_ignores_other_work_without_a_query(
    planned, couple, django_assert_num_queries
):
    responses = _couple_responses(couple)
    with django_assert_num_queries(0):
        assert follow_ups_for(responses) == []
