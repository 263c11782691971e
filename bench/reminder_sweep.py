"""How fast the sweep claims due reminders, against the same claim in one raw SQL statement.

Ours is the project's real sweep task, called once in-process as beat calls it: it settles
interrupted sends, then claims batch after batch until nothing due is left, publishing one
Celery message per SEND_BATCH_SIZE claimed ids to Redis. The baseline is the
least a claim can cost: one UPDATE ... RETURNING per batch from plain psycopg, no publishing.
Both start from the same table: every row pending again, vacuumed and analysed.
"""

import time

from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext

from bench import database, seed
from worksheets.tasks import SEND_BATCH_SIZE, sweep_due_reminders

NAME = "reminder_sweep"
REMINDERS = 100_000
ROUNDS = 2

RAW_CLAIM = f"""
    UPDATE worksheets_reminder
    SET status = 'claimed',
        lease_until = now() + interval '{settings.REMINDER_LEASE.total_seconds():.0f} seconds'
    WHERE id IN (
        SELECT id FROM worksheets_reminder
        WHERE status = 'pending' AND due_at <= now()
        ORDER BY due_at
        LIMIT {settings.REMINDER_BATCH_SIZE}
        FOR UPDATE SKIP LOCKED
    )
    RETURNING id
"""


def reset_outbox() -> None:
    """All rows pending again, dead row versions gone and statistics fresh, so every measured
    run sees the same table. VACUUM cannot run in a transaction, hence autocommit."""
    with database.raw_connection(autocommit=True) as conn:
        conn.execute("UPDATE worksheets_reminder SET status = 'pending', lease_until = NULL")
        conn.execute("VACUUM ANALYZE worksheets_reminder")


def expect_all_claimed(claimed: int, variant: str) -> None:
    if claimed != REMINDERS:
        raise RuntimeError(f"{variant} claimed {claimed:,} reminders, not {REMINDERS:,}")


def time_ours() -> tuple[float, int]:
    """Seconds for one run of the real sweep task, as beat runs it in production (it keeps
    claiming until nothing due is left), and the queries it ran."""
    reset_outbox()
    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        claimed = sweep_due_reminders()
        elapsed = time.perf_counter() - started
    # Nobody consumes the send messages here; drop them so runs do not pile them up.
    database.flush_redis(settings.CELERY_BROKER_URL)
    expect_all_claimed(claimed, "The sweep")
    return elapsed, len(queries)


def time_raw() -> float:
    """Seconds to claim every row with the raw statement, one batch per round trip."""
    reset_outbox()
    claimed = 0
    with database.raw_connection(autocommit=True) as conn:
        started = time.perf_counter()
        while rows := conn.execute(RAW_CLAIM).fetchall():
            claimed += len(rows)
        elapsed = time.perf_counter() - started
    expect_all_claimed(claimed, "The raw SQL loop")
    return elapsed


def run() -> tuple[dict, str]:
    seed.clear_reminders()
    # Only claimed, never sent, so any kinds do: several per response keeps seeding quick.
    seed.seed_due_reminders(REMINDERS, kinds=seed.PARTNER_KINDS, label=NAME)
    ours, raw, queries = [], [], 0
    # Alternating evens out whatever else the machine is doing; the best run of each counts.
    for round_number in range(1, ROUNDS + 1):
        elapsed, queries = time_ours()
        ours.append(elapsed)
        raw.append(time_raw())
        print(
            f"  {NAME}: round {round_number}: ours {ours[-1]:.2f}s, raw {raw[-1]:.2f}s", flush=True
        )
    value = REMINDERS / min(ours)
    baseline = REMINDERS / min(raw)
    # One claim per full batch, a last one that finds nothing and ends the loop, and the
    # statement that settles sends a dead worker left behind.
    claims = -(-REMINDERS // settings.REMINDER_BATCH_SIZE) + 1
    result = {
        "value": round(value),
        "unit": "reminders/s",
        "baseline": round(baseline),
        "ratio": round(value / baseline, 3),
        "queries": queries,
        "notes": (
            f"queries: all statements Django sent (BEGIN and COMMIT included) for one run of the "
            f"sweep task over {REMINDERS:,} reminders: {claims} claims of up to "
            f"{settings.REMINDER_BATCH_SIZE} and one recovery statement; "
            f"ours also publishes one Celery message per {SEND_BATCH_SIZE} ids, the raw SQL "
            "baseline (one autocommitted UPDATE per batch) publishes none"
        ),
    }
    line = (
        f"{NAME}: {value:,.0f} reminders/s (raw SQL baseline {baseline:,.0f}/s, "
        f"ratio {value / baseline:.2f}, {queries} queries, {queries / claims:.1f} per batch "
        f"of {settings.REMINDER_BATCH_SIZE})"
    )
    return result, line
