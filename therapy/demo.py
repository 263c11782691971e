"""Demo data: a practice, two counselors and three couples, each telling a story.

History is made by running the real workflow at past moments (assigning, reminding,
submitting), so the demo shows what the product itself would have recorded.
"""

import datetime as dt
import random
from zoneinfo import ZoneInfo

from django.contrib.auth import get_user_model
from django.db import transaction

from clients.models import Couple, Partner
from therapy.api_keys import create_api_key
from therapy.models import (
    ApiKey,
    CounselingSession,
    Counselor,
    CounselorNote,
    Practice,
    WebhookSubscription,
)
from therapy.sessions import schedule_session
from therapy.webhooks import EVENT_TYPES, new_secret
from worksheets.assignments import assign_worksheet
from worksheets.library import latest_templates
from worksheets.outbox import claim_due_reminders, send_reminder
from worksheets.responses import save_draft, submit_response
from worksheets.scheduling import local_to_utc

DEMO_PASSWORD = "demo-counselor-2026"  # noqa: S105 - printed by `make demo`; demo only
PRACTICE_NAME = "Harbor Couples Counseling"

WEEKS = 5
PRACTICE_ZONE = "America/New_York"
COUPLES = [
    # label, partners (name, e-mail, zone), story
    (
        "Rivera & Chen",
        [
            ("Sam Rivera", "sam.rivera@example.com", "America/New_York"),
            ("Alex Chen", "alex.chen@example.com", "America/Los_Angeles"),
        ],
        "improving",
    ),
    (
        "Patel & Moreau",
        [
            ("Priya Patel", "priya.patel@example.com", "America/Chicago"),
            ("Luc Moreau", "luc.moreau@example.com", "America/Chicago"),
        ],
        "drifting",
    ),
    (
        "Okafor & Lind",
        [
            ("Ada Okafor", "ada.okafor@example.com", "Europe/London"),
            ("Erik Lind", "erik.lind@example.com", "Europe/Stockholm"),
        ],
        "skipping",
    ),
]
# What each partner in the drifting story would like to try, week by week (shared answers).
NEW_THINGS = (
    [
        "Cooking dinner together on Thursdays",
        "A weekend away, just the two of us",
        "Phones away for one evening a week",
        "A walk together after dinner",
        "A standing date night that we both protect",
    ],
    [
        "Climbing with my friends on Saturdays",
        "One evening a week to myself",
        "Visiting my brother on my own",
        "Running in the mornings before work",
        "A quiet Sunday afternoon to read",
    ],
)
# Private notes to the counselor in the improving story.
NOTES_TO_COUNSELOR = {
    0.25: "I asked Alex for help with my mother's visit and it went better than I feared.",
    0.75: "We planned the week together on Sunday, which helped.",
}
NOTES = {
    "improving": "Both are asking each other for help more; keep the weekly check-in going.",
    "drifting": "Priya wants more time together, Luc less. Explore what time apart means to "
    "each before suggesting changes.",
    "skipping": "Erik has not done any homework. Ask what gets in the way, without blame.",
}


def _user(username, first, last, password):
    user = get_user_model().objects.create_user(
        username=username,
        password=password,
        first_name=first,
        last_name=last,
        email=f"{username}@harbor.example",
        is_staff=True,
    )
    return user


def _run_reminders_until(moment):
    for reminder_id in claim_due_reminders(now=moment, limit=1000):
        send_reminder(reminder_id=reminder_id, now=moment)


def _check_in(progress: float, *, story: str, partner: int) -> dict:
    """One partner's check-in along a story: `progress` runs from 0 (first week) to 1 (last);
    `partner` is 0 for the first partner, 1 for the second."""
    if story == "improving":
        # Both lean on each other more and put themselves aside less; one a week behind.
        lag = 0.25 * partner
        moved = max(0.0, progress - lag)
        return {
            "confided": round(2 + 3 * moved),
            "own_time": round(3 + moved),
            "needs_on_hold": round(4 - 2 * moved),
            "went_it_alone": round(4 - 3 * moved),
            "balance_felt_right": round(2 + 2 * moved),
        }
    if story == "drifting":
        # The first wants more closeness and starts putting their needs aside; the second
        # takes more time alone and goes it alone more. Neither feels the balance is right.
        if partner == 0:
            return {
                "confided": round(3 + progress),
                "own_time": round(3 - progress),
                "needs_on_hold": round(2 + 2 * progress),
                "went_it_alone": 2,
                "balance_felt_right": round(4 - 2 * progress),
            }
        return {
            "confided": round(3 - progress),
            "own_time": round(3 + 2 * progress),
            "needs_on_hold": 2,
            "went_it_alone": round(2 + 2 * progress),
            "balance_felt_right": round(4 - progress),
        }
    return {
        "confided": 3,
        "own_time": 4,
        "needs_on_hold": 2,
        "went_it_alone": 2,
        "balance_felt_right": 4,
    }


def _submit(response, answers, moment):
    submit_response(response_id=response.pk, partner=response.partner, answers=answers, now=moment)


def _week(couple, counselor, library, start, story, progress, rng):
    check_in = assign_worksheet(
        couple=couple,
        template=library.get(slug="weekly-checkin"),
        due_at=_due(start),
        assigned_by=counselor,
        now=start,
    )
    # The invitations go out before anyone answers.
    _run_reminders_until(start + dt.timedelta(hours=14))
    first, second = check_in.responses.select_related("partner").order_by("partner_id")
    handed_in = start + dt.timedelta(days=rng.randint(1, 4), hours=rng.randint(3, 11))
    answers = _check_in(progress, story=story, partner=0)
    if story == "improving" and progress in NOTES_TO_COUNSELOR:
        answers["note_for_counselor"] = NOTES_TO_COUNSELOR[progress]
    _submit(first, answers, handed_in)
    if story != "skipping":  # in that story the second partner never does the homework
        _submit(
            second, _check_in(progress, story=story, partner=1), handed_in + dt.timedelta(hours=3)
        )
    if story == "drifting":
        time_map = assign_worksheet(
            couple=couple,
            template=library.get(slug="time-map"),
            due_at=_due(start),
            assigned_by=counselor,
            now=start,
        )
        step = round(3 * progress)
        week = round(progress * (WEEKS - 1))
        first, second = time_map.responses.select_related("partner").order_by("partner_id")
        _submit(
            first,
            {
                "preferred_togetherness": 6 + step,
                "guess_partner_togetherness": 6,
                "partner_time_apart_feels": "left_out",
                "new_thing_to_try": NEW_THINGS[0][week],
            },
            handed_in,
        )
        _submit(
            second,
            {
                "preferred_togetherness": 5 - step,
                "guess_partner_togetherness": 5,
                "partner_time_apart_feels": "glad",
                "new_thing_to_try": NEW_THINGS[1][week],
            },
            handed_in,
        )


def _current_week(couple, counselor, library, start, story):
    """This week's check-in, just given: one draft in the improving story."""
    assignment = assign_worksheet(
        couple=couple,
        template=library.get(slug="weekly-checkin"),
        due_at=_due(start),
        assigned_by=counselor,
        now=start,
    )
    if story == "improving":
        draft = assignment.responses.order_by("partner_id").last()
        save_draft(
            response_id=draft.pk,
            partner=draft.partner,
            answers={"confided": 4},
            now=start + dt.timedelta(hours=3),
        )


def _filled_in(template, rng, lean) -> dict:
    """Plausible answers to any worksheet: `lean` > 0 agrees with the healthy items."""
    answers = {}
    for item in template.items.all():
        options = item.options
        if item.kind == "agreement":
            agree = item.subscale.startswith("healthy") != item.reverse_keyed
            answers[item.key] = rng.choice([4, 5] if agree == (lean > 0) else [1, 2, 3])
        elif item.kind in ("scale", "perception"):
            top = len(options["anchors"]) if "anchors" in options else 10
            answers[item.key] = rng.randint(max(0, top // 2 - 2), top)
        elif item.kind == "single_choice":
            answers[item.key] = rng.choice(options["choices"])["value"]
        elif item.kind == "multiple_choice":
            picks = rng.sample(options["choices"], k=min(2, options["max_choices"]))
            answers[item.key] = [choice["value"] for choice in picks]
        elif item.kind == "time_split":
            share = options["max_total"] // (len(options["categories"]) + 1)
            answers[item.key] = {c["key"]: rng.randint(2, share) for c in options["categories"]}
    return answers


def _inventory(couple, counselor, template, start, rng, leans, balances):
    assignment = assign_worksheet(
        couple=couple,
        template=template,
        assigned_by=counselor,
        due_at=_due(start),
        now=start,
    )
    responses = assignment.responses.select_related("partner").order_by("partner_id")
    for response, lean, balance in zip(responses, leans, balances, strict=True):
        submit_response(
            response_id=response.pk,
            partner=response.partner,
            # The preferred balance starts each story where the weekly worksheets pick it up.
            answers={**_filled_in(template, rng, lean), "preferred_togetherness": balance},
            now=start + dt.timedelta(days=2, hours=rng.randint(1, 6)),
        )


@transaction.atomic
def load_demo(*, now: dt.datetime) -> bool:
    """Create the demo data once; return False when it is already there.

    Three stories: Rivera & Chen improving week by week, Patel & Moreau drifting apart on how
    much time they want together, and Okafor & Lind where one partner skips the homework.
    """
    if Practice.objects.filter(name=PRACTICE_NAME).exists():
        return False
    rng = random.Random(20261122)
    practice = Practice.objects.create(name=PRACTICE_NAME, time_zone=PRACTICE_ZONE)
    counselor = Counselor.objects.create(
        user=_user("counselor", "Maya", "Goldberg", DEMO_PASSWORD), practice=practice
    )
    director = Counselor.objects.create(
        user=_user("director", "Rosa", "Alvarez", DEMO_PASSWORD),
        practice=practice,
        role=Counselor.Role.PRACTICE_ADMIN,
    )
    # A key of the practice's records system, for the API keys page to list; the key itself
    # is thrown away here, as it is anywhere once shown. The director makes one to try.
    create_api_key(
        practice=practice,
        name="Records system",
        scope=ApiKey.Scope.READ,
        created_by=director.user,
        now=now,
    )
    # The records system's webhook address, for the webhooks page to list: paused, since
    # the demo has no such system to post to (and an address of example.org resolves nowhere).
    WebhookSubscription.objects.create(
        practice=practice,
        url="https://records.example.org/webhooks",
        events=[event for event, _ in EVENT_TYPES],
        status=WebhookSubscription.Status.PAUSED,
        secret=new_secret(),
        created_by=director.user,
        created_at=now,
    )
    other = Counselor.objects.create(
        user=_user("counselor2", "Daniel", "Okoye", DEMO_PASSWORD), practice=practice
    )
    library = latest_templates()
    for label, partners, story in COUPLES:
        couple = Couple.objects.create(practice=practice, label=label)
        couple.counselors.add(counselor)
        for name, email, zone in partners:
            Partner.objects.create(
                couple=couple,
                display_name=name,
                email=email,
                time_zone=zone,
                consented_at=now - dt.timedelta(weeks=WEEKS + 1),
            )
        if story != "skipping":
            _inventory(
                couple,
                counselor,
                library.get(slug="balance-inventory"),
                _morning(now, days_back=7 * WEEKS + 2),
                rng,
                leans=(1, 1) if story == "improving" else (1, -1),
                balances=(7, 4) if story == "improving" else (6, 5),
            )
        CounselorNote.objects.create(
            couple=couple,
            counselor=counselor,
            text=NOTES[story],
            created_at=now - dt.timedelta(days=6),
        )
    stories = list(zip(Couple.objects.order_by("pk"), [c[2] for c in COUPLES], strict=False))
    for week in range(WEEKS, 0, -1):
        start = _morning(now, days_back=7 * week)
        for couple, story in stories:
            _week(
                couple,
                counselor,
                library,
                start,
                story,
                progress=(WEEKS - week) / (WEEKS - 1),
                rng=rng,
            )
        # Let the week's reminders go out as time passes, every six hours.
        for step in range(28):
            _run_reminders_until(start + dt.timedelta(hours=6 * step))
    for couple, story in stories:
        _current_week(couple, counselor, library, _morning(now, days_back=1), story)
    theirs = Couple.objects.create(practice=practice, label="Nakamura & Berg")
    theirs.counselors.add(other)
    Partner.objects.create(
        couple=theirs,
        display_name="Ken Nakamura",
        email="ken.nakamura@example.com",
        time_zone="Asia/Tokyo",
    )
    _run_reminders_until(now)
    for couple in Couple.objects.filter(counselors=counselor):
        # Sessions every other week: two behind them, the next in three days.
        for days in (-26, -12):
            CounselingSession.objects.create(
                couple=couple, counselor=counselor, starts_at=_session_time(now, days=days)
            )
        schedule_session(
            couple=couple, counselor=counselor, starts_at=_session_time(now, days=3), now=now
        )
    return True


# The demo's work is set at 09:00 and due six days later at 20:00, in the practice's zone,
# worked out on local dates so that the hours hold across a change of the clocks.
def _morning(now: dt.datetime, *, days_back: int) -> dt.datetime:
    """09:00 in the practice's zone, `days_back` days before the last such morning."""
    zone = ZoneInfo(PRACTICE_ZONE)
    local = now.astimezone(zone)
    day = local.date() if local.time() >= dt.time(9) else local.date() - dt.timedelta(days=1)
    return local_to_utc(dt.datetime.combine(day - dt.timedelta(days=days_back), dt.time(9)), zone)


def _due(start: dt.datetime) -> dt.datetime:
    zone = ZoneInfo(PRACTICE_ZONE)
    day = start.astimezone(zone).date() + dt.timedelta(days=6)
    return local_to_utc(dt.datetime.combine(day, dt.time(20)), zone)


def _session_time(now: dt.datetime, *, days: int) -> dt.datetime:
    """17:00 in the practice's zone, `days` from today."""
    zone = ZoneInfo(PRACTICE_ZONE)
    day = now.astimezone(zone).date() + dt.timedelta(days=days)
    return local_to_utc(dt.datetime.combine(day, dt.time(17, 0)), zone)
