"""Demo data: a practice, two counselors and three couples at different stages.

History is made by running the real workflow at past moments (assigning, reminding,
submitting), so the demo shows what the product itself would have recorded.
"""

import datetime as dt
import random
from zoneinfo import ZoneInfo

from django.contrib.auth import get_user_model
from django.db import transaction

from clients.models import Couple, Partner
from therapy.models import Counselor, Practice
from therapy.sessions import schedule_session
from worksheets.assignments import assign_worksheet
from worksheets.library import latest_templates
from worksheets.reminders import claim_due_reminders, send_reminder
from worksheets.responses import save_draft, submit_response
from worksheets.scheduling import local_to_utc

DEMO_PASSWORD = "demo-counselor-2026"  # noqa: S105 - printed by `make demo`; demo only
PRACTICE_NAME = "Harbor Couples Counseling"

COUPLES = [
    # label, partners (name, e-mail, zone), weeks of history, story
    (
        "Rivera & Chen",
        [
            ("Sam Rivera", "sam.rivera@example.com", "America/New_York"),
            ("Alex Chen", "alex.chen@example.com", "America/Los_Angeles"),
        ],
        4,
        "steady",
    ),
    (
        "Okafor & Lind",
        [
            ("Ada Okafor", "ada.okafor@example.com", "Europe/London"),
            ("Erik Lind", "erik.lind@example.com", "Europe/Stockholm"),
        ],
        3,
        "lagging",
    ),
    (
        "Patel & Moreau",
        [
            ("Priya Patel", "priya.patel@example.com", "America/Chicago"),
            ("Luc Moreau", "luc.moreau@example.com", "America/Chicago"),
        ],
        0,
        "new",
    ),
]


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


def _answers(rng, lean):
    return {
        "confided": rng.choice([3, 4, 4, 5]) if lean >= 0 else rng.choice([1, 2, 2, 3]),
        "own_time": rng.choice([2, 3, 4]),
        "needs_on_hold": rng.choice([1, 2, 3]) if lean >= 0 else rng.choice([3, 4, 5]),
        "went_it_alone": rng.choice([1, 2]) if lean >= 0 else rng.choice([3, 4]),
        "balance_felt_right": rng.choice([3, 4, 5]) if lean >= 0 else rng.choice([2, 3]),
    }


def _week(couple, counselor, template, start, rng, story, last_week):
    assignment = assign_worksheet(
        couple=couple,
        template=template,
        due_at=start + dt.timedelta(days=6, hours=20),
        assigned_by=counselor,
        now=start,
    )
    _run_reminders_until(start + dt.timedelta(hours=12))
    responses = list(assignment.responses.select_related("partner"))
    for index, response in enumerate(responses):
        done_at = start + dt.timedelta(days=rng.randint(1, 4), hours=rng.randint(13, 20))
        lean = 1 if story == "steady" else (-1 if index == 1 else 1)
        if story == "lagging" and index == 1:
            continue  # one partner rarely does the homework
        if last_week and story == "steady" and index == 1:
            save_draft(
                response_id=response.pk,
                partner=response.partner,
                answers={"confided": 4},
                now=done_at,
            )
            continue
        if last_week:
            continue
        submit_response(
            response_id=response.pk,
            partner=response.partner,
            answers=_answers(rng, lean),
            now=done_at,
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


def _inventory(couple, counselor, template, start, rng, leans):
    assignment = assign_worksheet(
        couple=couple,
        template=template,
        assigned_by=counselor,
        due_at=start + dt.timedelta(days=6),
        now=start,
    )
    for response, lean in zip(assignment.responses.select_related("partner"), leans, strict=False):
        submit_response(
            response_id=response.pk,
            partner=response.partner,
            answers=_filled_in(template, rng, lean),
            now=start + dt.timedelta(days=2, hours=rng.randint(1, 6)),
        )


@transaction.atomic
def load_demo(*, now: dt.datetime) -> bool:
    """Create the demo data once; return False when it is already there."""
    if Practice.objects.filter(name=PRACTICE_NAME).exists():
        return False
    now -= dt.timedelta(hours=12)  # the current week was assigned yesterday evening
    rng = random.Random(20261122)
    practice = Practice.objects.create(name=PRACTICE_NAME, time_zone="America/New_York")
    counselor = Counselor.objects.create(
        user=_user("counselor", "Maya", "Goldberg", DEMO_PASSWORD), practice=practice
    )
    other = Counselor.objects.create(
        user=_user("counselor2", "Daniel", "Okoye", DEMO_PASSWORD), practice=practice
    )
    library = latest_templates()
    template = library.get(slug="weekly-checkin")
    for label, partners, weeks, story in COUPLES:
        couple = Couple.objects.create(practice=practice, label=label)
        couple.counselors.add(counselor)
        for name, email, zone in partners:
            Partner.objects.create(
                couple=couple, display_name=name, email=email, time_zone=zone, consented_at=now
            )
        for week in range(weeks, -1, -1):
            start = now - dt.timedelta(weeks=week, hours=1)
            _week(couple, counselor, template, start, rng, story, last_week=week == 0)
        if weeks:
            # The core inventory at the start of the work; one partner leans the other way.
            _inventory(
                couple,
                counselor,
                library.get(slug="balance-inventory"),
                now - dt.timedelta(weeks=weeks, days=2),
                rng,
                leans=(1, 1) if story == "steady" else (1, -1),
            )
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
        schedule_session(couple=couple, counselor=counselor, starts_at=_next_session(now), now=now)
    return True


def _next_session(now: dt.datetime) -> dt.datetime:
    """Three days on, at 17:00 in the practice's zone."""
    zone = ZoneInfo("America/New_York")
    day = now.astimezone(zone).date() + dt.timedelta(days=3)
    return local_to_utc(dt.datetime.combine(day, dt.time(17, 0)), zone)
