"""Due reminders in bulk, with the rows they hang from, for the reminder benchmarks.

The couple and assignment are active, the response is not submitted, and the partner has
reminders on and no quiet hours, so an invitation is one the send task really sends. A
response has at most one reminder of each kind, so there is one response per len(kinds)
reminders; each couple has two partners and one assignment, with a response per partner.
"""

import datetime as dt
import math
import random

from django.contrib.auth import get_user_model
from django.db import connection
from django.utils import timezone

from clients.models import Couple, Partner
from therapy.models import Counselor, Practice
from worksheets.library import load_library
from worksheets.models import Assignment, Reminder, Response, WorksheetTemplate

# Partner reminders that need no other rows (counselor alerts and session nudges do).
PARTNER_KINDS = [
    kind
    for kind in ("invitation", "before_due", "due_day", "overdue_first", "overdue_second")
    if kind in Reminder.Kind.values
]
NO_QUIET_HOURS = dt.time(0, 0)
BATCH_SIZE = 2000


def clear_reminders() -> None:
    """Empty the outbox, so each benchmark counts only its own rows."""
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE worksheets_reminder")


def owner() -> tuple[Counselor, WorksheetTemplate]:
    """The practice, counselor and worksheet every seeded assignment shares."""
    if not WorksheetTemplate.objects.exists():
        load_library()
    template = WorksheetTemplate.objects.order_by("slug", "version").first()
    counselor = Counselor.objects.select_related("practice").first()
    if counselor is None:
        practice = Practice.objects.create(name="Bench practice")
        user = get_user_model().objects.create(username="bench-counselor", is_staff=True)
        counselor = Counselor.objects.create(user=user, practice=practice)
    return counselor, template


def seed_due_reminders(
    count: int, *, kinds: list[str], label: str = "seeding", chunks: int = 10
) -> None:
    """Write `count` pending reminders, all due, in `chunks` steps with a progress line each."""
    counselor, template = owner()
    now = timezone.now()
    rng = random.Random(count)
    written = 0
    for chunk in range(chunks):
        target = count * (chunk + 1) // chunks
        written += seed_chunk(target - written, kinds, counselor, template, now=now, rng=rng)
        print(f"  {label}: {written:,}/{count:,} reminders ({100 * written // count}%)", flush=True)


def seed_chunk(count, kinds, counselor, template, *, now, rng) -> int:
    """One step of seeding: `count` reminders and just enough parents for them."""
    if count <= 0:
        return 0
    responses = math.ceil(count / len(kinds))
    couples = Couple.objects.bulk_create(
        [
            Couple(practice=counselor.practice, label="Bench couple")
            for _ in range(math.ceil(responses / 2))
        ],
        batch_size=BATCH_SIZE,
    )
    partners = Partner.objects.bulk_create(
        [
            Partner(
                couple=couples[n // 2],
                display_name=f"Partner {n}",
                email=f"partner-{couples[n // 2].pk}-{n % 2}@bench.example",
                quiet_hours_start=NO_QUIET_HOURS,
                quiet_hours_end=NO_QUIET_HOURS,
            )
            for n in range(responses)
        ],
        batch_size=BATCH_SIZE,
    )
    due = now + dt.timedelta(days=5)
    assignments = Assignment.objects.bulk_create(
        [
            Assignment(
                couple=couple, template=template, due_at=due, assigned_by=counselor, created_at=now
            )
            for couple in couples
        ],
        batch_size=BATCH_SIZE,
    )
    rows = Response.objects.bulk_create(
        [
            Response(assignment=assignments[n // 2], partner=partner, due_at=due)
            for n, partner in enumerate(partners)
        ],
        batch_size=BATCH_SIZE,
    )
    reminders = [
        Reminder(
            partner_id=response.partner_id,
            response=response,
            kind=kind,
            channel=Partner.Channel.EMAIL,
            # Due at scattered times over the past day, so claiming in due order reads the
            # table out of its insertion order, as a real outbox would.
            due_at=now - dt.timedelta(seconds=rng.uniform(60, 86_400)),
            created_at=now,
        )
        for response in rows
        for kind in kinds
    ][:count]
    Reminder.objects.bulk_create(reminders, batch_size=BATCH_SIZE)
    return len(reminders)
