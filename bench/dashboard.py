"""The counselor's home page figures for a caseload of 500 couples, against one SQL query.

Ours is `therapy.dashboard.caseload` for the counselor's user, as the home page calls it: per
couple the next session, open alerts, overdue responses, and per partner the worksheets done
of those assigned this period, the latest preferred balance and map position, then the couple's
latest gap in preferred balance and its change. The baseline is one hand-written query
computing the same figures in PostgreSQL, written two ways (grouping all the caseload's
responses at once, or a correlated subquery per figure); the faster of the two on the run's
data counts. All results are turned into the same dict and must be equal.

The seeded history is two weekly worksheets per couple over ten weeks: the weekly check-in
(subscales only) and, in turn, the balance inventory (subscales, preferred balance, map position) or
the time map (preferred balance only). Answers are random but scored by the real scoring
code, so the stored `scores` are what a submission stores, `change` included.
"""

import datetime as dt
import itertools
import random
import time
from collections import defaultdict

from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from bench import database
from clients.models import Couple, Partner
from therapy import dashboard
from therapy.models import Alert, CounselingSession, Counselor, Practice
from worksheets.library import load_library
from worksheets.models import Assignment, Response, WorksheetTemplate
from worksheets.responses import headline_figures, pair_gap, scale_items
from worksheets.scoring import change_since, score_answers

NAME = "dashboard"
COUPLES = 500
# Closed couples are on the counselor's list but not on the home page: both must leave them out.
CLOSED_COUPLES = 5
OCCURRENCES = 10
WEEK = dt.timedelta(days=7)
CHECK_IN = "weekly-checkin"
# The second worksheet alternates between couples: one with a map position, one without.
BALANCE_WORKSHEETS = ("balance-inventory", "time-map")
RESPONSES = COUPLES * 2 * 2 * OCCURRENCES
CHUNKS = 5
BATCH_SIZE = 1000
RUNS = 20
SURNAMES = (
    "Abbott",
    "Bauer",
    "Castro",
    "Chen",
    "Dubois",
    "Eriksen",
    "Fischer",
    "Garcia",
    "Haddad",
    "Ibrahim",
    "Jansen",
    "Kowalski",
    "Larsen",
    "Moreau",
    "Nakamura",
    "Novak",
    "Okafor",
    "Oliveira",
    "Petrov",
    "Quinn",
    "Rivera",
    "Rossi",
    "Sato",
    "Schmidt",
    "Silva",
    "Tanaka",
    "Umar",
    "Varga",
    "Wagner",
    "Walsh",
    "Weber",
    "Xu",
    "Yilmaz",
    "Young",
    "Zhang",
    "Zimmermann",
)


# --- Seeding -------------------------------------------------------------------------------


def templates() -> dict[str, tuple[WorksheetTemplate, list]]:
    """The latest version of each worksheet used, with its scale items for scoring."""
    if not WorksheetTemplate.objects.filter(slug=CHECK_IN).exists():
        load_library()
    found = {}
    for slug in (CHECK_IN, *BALANCE_WORKSHEETS):
        template = WorksheetTemplate.objects.filter(slug=slug).order_by("-version").first()
        found[slug] = (template, scale_items(template))
    return found


def answers_for(items, rng: random.Random, *, leaning: float, balance: int, guess: int) -> dict:
    """One partner's numeric answers: agreement items around the partner's tendency, now and
    then a sparse response whose subscales come out incomplete."""
    skip = 0.45 if rng.random() < 0.05 else 0.02
    answers = {}
    for item in items:
        if rng.random() < skip:
            continue
        if item.about:
            value = guess if item.maximum == 10 else rng.randint(item.minimum, item.maximum)
        elif item.maximum == 10:
            value = balance
        else:
            middle = (item.minimum + item.maximum) / 2 + leaning * (-1 if item.reverse_keyed else 1)
            value = round(rng.gauss(middle, 1))
        answers[item.key] = max(item.minimum, min(item.maximum, value))
    return answers


def status_and_submission(due: dt.datetime, now: dt.datetime, rng: random.Random, *, keen: bool):
    """Most past work handed in (a few late), some open and overdue; some future work early.
    A partner who is not keen hands in little, so some couples have no gap yet."""
    if due < now:
        if rng.random() < (0.95 if keen else 0.15):
            if rng.random() < 0.15:
                late = due + dt.timedelta(seconds=rng.uniform(3600, 3 * 86_400))
                return Response.Status.SUBMITTED, min(late, now - dt.timedelta(minutes=5))
            return Response.Status.SUBMITTED, due - dt.timedelta(seconds=rng.uniform(0, 4 * 86_400))
    elif rng.random() < 0.25:
        return Response.Status.SUBMITTED, now - dt.timedelta(seconds=rng.uniform(300, 2 * 86_400))
    status = Response.Status.DRAFT if rng.random() < 0.4 else Response.Status.NOT_STARTED
    return status, None


def seed_couples(labels, *, counselor, now, rng, closed=False):
    couples = Couple.objects.bulk_create(
        [
            Couple(
                practice=counselor.practice,
                label=label,
                status=(
                    Couple.Status.CLOSED
                    if closed
                    else rng.choices([Couple.Status.ACTIVE, Couple.Status.PAUSED], [9, 1])[0]
                ),
            )
            for label in labels
        ],
        batch_size=BATCH_SIZE,
    )
    Couple.counselors.through.objects.bulk_create(
        [Couple.counselors.through(couple=couple, counselor=counselor) for couple in couples],
        batch_size=BATCH_SIZE,
    )
    partners = Partner.objects.bulk_create(
        [
            Partner(
                couple=couple,
                display_name=f"{name} {couple.label.split(' & ')[n]}",
                email=f"partner-{couple.pk}-{n}@bench.example",
                consented_at=now - dt.timedelta(days=90),
            )
            for couple in couples
            for n, name in enumerate(rng.sample(["Alex", "Sam", "Robin", "Kim", "Jo", "Noor"], 2))
        ],
        batch_size=BATCH_SIZE,
    )
    sessions, alerts = [], []
    for couple in couples:
        for week in range(rng.randint(2, 4)):
            starts = now - (week + 1) * WEEK + dt.timedelta(hours=rng.randint(-30, 30))
            sessions.append(CounselingSession(couple=couple, counselor=counselor, starts_at=starts))
        if rng.random() < 0.75:
            for _ in range(rng.randint(1, 2)):
                starts = now + dt.timedelta(minutes=rng.randint(30, 21 * 24 * 60))
                sessions.append(
                    CounselingSession(couple=couple, counselor=counselor, starts_at=starts)
                )
        open_alerts = rng.randint(1, 3) if rng.random() < 0.25 else 0
        acknowledged = rng.randint(1, 2) if rng.random() < 0.3 else 0
        for n in range(open_alerts + acknowledged):
            created = now - dt.timedelta(hours=rng.uniform(1, 30 * 24))
            alerts.append(
                Alert(
                    couple=couple,
                    kind=rng.choice(Alert.Kind.values),
                    reason="Seeded for the dashboard benchmark.",
                    created_at=created,
                    acknowledged_at=created + dt.timedelta(hours=2) if n >= open_alerts else None,
                    acknowledged_by=counselor if n >= open_alerts else None,
                )
            )
    CounselingSession.objects.bulk_create(sessions, batch_size=BATCH_SIZE)
    Alert.objects.bulk_create(alerts, batch_size=BATCH_SIZE)
    return couples, partners


def seed_history(couples, partners, *, counselor, worksheets, now, rng) -> int:
    """Two weekly worksheets per couple, OCCURRENCES each, a response per partner per week."""
    assignments, plans = [], []
    for n, couple in enumerate(couples):
        balance_slug = BALANCE_WORKSHEETS[n % len(BALANCE_WORKSHEETS)]
        for slug in (CHECK_IN, balance_slug):
            # The last occurrence is due within the coming week, the ninth in the past one.
            first_due = now - (OCCURRENCES - 1) * WEEK + dt.timedelta(hours=rng.uniform(2, 166))
            status = rng.choices(
                [Assignment.Status.ACTIVE, Assignment.Status.PAUSED, Assignment.Status.CANCELLED],
                [93, 5, 2],
            )[0]
            assignments.append(
                Assignment(
                    couple=couple,
                    template=worksheets[slug][0],
                    due_at=first_due,
                    status=status,
                    recurrence=Assignment.Recurrence.EVERY_N_DAYS,
                    interval_days=7,
                    assigned_by=counselor,
                    created_at=first_due - WEEK,
                )
            )
            plans.append((couple, slug, first_due))
    assignments = Assignment.objects.bulk_create(assignments, batch_size=BATCH_SIZE)
    by_couple = defaultdict(list)
    for partner in partners:
        by_couple[partner.couple_id].append(partner)
    # Each partner's own tendencies, drifting a little from week to week.
    balance = {p.pk: rng.randint(1, 9) for p in partners}
    leaning = {p.pk: rng.uniform(-1.5, 1.5) for p in partners}
    keen = {p.pk: rng.random() < 0.95 for p in partners}
    rows = []
    for assignment, (couple, slug, first_due) in zip(assignments, plans, strict=True):
        template, items = worksheets[slug]
        pair = by_couple[couple.pk]
        for partner, other in (pair, pair[::-1]):
            previous = []
            for occurrence in range(1, OCCURRENCES + 1):
                due = first_due + (occurrence - 1) * WEEK
                status, submitted_at = status_and_submission(due, now, rng, keen=keen[partner.pk])
                response = Response(
                    assignment=assignment,
                    partner=partner,
                    occurrence=occurrence,
                    due_at=due,
                    status=status,
                    submitted_at=submitted_at,
                    updated_at=submitted_at,
                )
                if status != Response.Status.NOT_STARTED:
                    balance[partner.pk] = max(0, min(10, balance[partner.pk] + rng.randint(-1, 1)))
                    response.answers = answers_for(
                        items,
                        rng,
                        leaning=leaning[partner.pk],
                        balance=balance[partner.pk],
                        guess=max(0, min(10, balance[other.pk] + rng.randint(-2, 2))),
                    )
                if submitted_at is not None:
                    previous.append(response)
                rows.append(response)
            # Scored once at submission, against the partner's submission before it.
            previous.sort(key=lambda response: response.submitted_at)
            for before, response in zip([None, *previous], previous, strict=False):
                scores = score_answers(
                    items=items, answers=response.answers, spec=template.scoring
                ).as_dict()
                scores["change"] = change_since(before.scores, scores) if before else {}
                response.scores = scores
                response.preferred_balance, response.map_position = headline_figures(scores)
    # The later submission of each occurrence carries the pair's gap, as at submission.
    occurrences = defaultdict(list)
    for response in rows:
        occurrences[(id(response.assignment), response.occurrence)].append(response)
    for pair in occurrences.values():
        submitted = sorted((r for r in pair if r.submitted_at), key=lambda r: r.submitted_at)
        if submitted:
            later = submitted[-1]
            later.balance_gap = pair_gap(later, [r for r in pair if r is not later])
    Response.objects.bulk_create(rows, batch_size=BATCH_SIZE)
    return len(rows)


def seed(now: dt.datetime) -> int:
    """The counselor, their caseload and its history; returns the counselor's user id."""
    rng = random.Random(COUPLES)
    worksheets = templates()
    practice = Practice.objects.create(name="Dashboard bench practice")
    user = get_user_model().objects.create(
        username="dashboard-counselor", first_name="Dana", last_name="Bench", is_staff=True
    )
    counselor = Counselor.objects.create(user=user, practice=practice)
    # Distinct labels: the page sorts by label, and ties would make the order arbitrary.
    labels = rng.sample(
        [f"{a} & {b}" for a, b in itertools.permutations(SURNAMES, 2)], COUPLES + CLOSED_COUPLES
    )
    closed = labels[COUPLES:]
    seed_couples(closed, counselor=counselor, now=now, rng=rng, closed=True)
    couples_done = responses = 0
    for chunk in range(CHUNKS):
        count = COUPLES * (chunk + 1) // CHUNKS - couples_done
        couples, partners = seed_couples(
            labels[couples_done : couples_done + count], counselor=counselor, now=now, rng=rng
        )
        responses += seed_history(
            couples, partners, counselor=counselor, worksheets=worksheets, now=now, rng=rng
        )
        couples_done += count
        print(
            f"  {NAME}: seeded {couples_done:,}/{COUPLES:,} couples, "
            f"{responses:,}/{RESPONSES:,} responses ({100 * couples_done // COUPLES}%)",
            flush=True,
        )
    tables = [
        model._meta.db_table
        for model in (Couple, Couple.counselors.through, Partner, Assignment, Response)
    ] + [CounselingSession._meta.db_table, Alert._meta.db_table]
    with database.raw_connection(autocommit=True) as conn:
        for table in tables:
            conn.execute(f"VACUUM ANALYZE {table}")
    return user.pk


# --- The hand-written baselines ----------------------------------------------------------------

# Two ways to write the query by hand; the faster one on the run's data is the baseline.
# Aggregates: read the caseload's responses once and group them every way the page needs.
SQL_AGGREGATES = f"""
WITH counselor AS (
    SELECT c.id
    FROM {Counselor._meta.db_table} c
    JOIN {get_user_model()._meta.db_table} u ON u.id = c.user_id
    WHERE c.user_id = %(user)s AND u.is_active AND u.is_staff
),
couples AS (
    SELECT cp.id, cp.label
    FROM {Couple._meta.db_table} cp
    JOIN {Couple.counselors.through._meta.db_table} cc ON cc.couple_id = cp.id
    WHERE cc.counselor_id = (SELECT id FROM counselor) AND cp.status <> 'closed'
),
responses AS (
    SELECT a.couple_id, r.id, r.partner_id, r.status, r.due_at, r.submitted_at,
           r.balance_gap, a.status AS assignment_status,
           CASE WHEN r.status = 'submitted' THEN r.preferred_balance END AS balance,
           CASE WHEN r.status = 'submitted' THEN NULLIF(r.map_position, '') END AS position
    FROM couples cp
    JOIN {Assignment._meta.db_table} a ON a.couple_id = cp.id
    JOIN {Response._meta.db_table} r ON r.assignment_id = a.id
),
per_partner AS (
    SELECT partner_id,
           count(*) FILTER (WHERE due_at >= %(period_start)s) AS assigned,
           count(*) FILTER (WHERE due_at >= %(period_start)s AND status = 'submitted') AS done,
           (array_agg(balance ORDER BY submitted_at DESC)
                FILTER (WHERE balance IS NOT NULL))[1] AS balance,
           (array_agg(position ORDER BY submitted_at DESC)
                FILTER (WHERE position IS NOT NULL))[1] AS position
    FROM responses
    GROUP BY partner_id
),
overdue AS (
    SELECT couple_id, count(*) AS overdue
    FROM responses
    WHERE status IN ('not_started', 'draft') AND due_at < %(now)s
      AND assignment_status = 'active'
    GROUP BY couple_id
),
gaps AS (
    -- Each couple's latest two gaps, kept on the submission that completed each pair.
    SELECT couple_id,
           min(balance_gap) FILTER (WHERE back = 1) AS gap,
           min(balance_gap) FILTER (WHERE back = 1) - min(balance_gap) FILTER (WHERE back = 2)
               AS gap_change
    FROM (
        SELECT couple_id, balance_gap,
               row_number() OVER (PARTITION BY couple_id ORDER BY submitted_at DESC, id DESC)
                   AS back
        FROM responses
        WHERE balance_gap IS NOT NULL
    ) numbered
    WHERE back <= 2
    GROUP BY couple_id
),
next_sessions AS (
    SELECT s.couple_id, min(s.starts_at) AS next_session
    FROM {CounselingSession._meta.db_table} s
    JOIN couples cp ON cp.id = s.couple_id
    WHERE s.starts_at > %(now)s
    GROUP BY s.couple_id
),
open_alerts AS (
    SELECT al.couple_id, count(*) AS open_alerts
    FROM {Alert._meta.db_table} al
    JOIN couples cp ON cp.id = al.couple_id
    WHERE al.acknowledged_at IS NULL
    GROUP BY al.couple_id
)
SELECT cp.id, cp.label, ns.next_session, coalesce(o.overdue, 0), coalesce(al.open_alerts, 0),
       g.gap, g.gap_change, p.id, coalesce(pp.done, 0), coalesce(pp.assigned, 0), pp.balance,
       coalesce(pp.position, '')
FROM couples cp
LEFT JOIN {Partner._meta.db_table} p ON p.couple_id = cp.id AND p.removed_at IS NULL
LEFT JOIN per_partner pp ON pp.partner_id = p.id
LEFT JOIN overdue o ON o.couple_id = cp.id
LEFT JOIN gaps g ON g.couple_id = cp.id
LEFT JOIN next_sessions ns ON ns.couple_id = cp.id
LEFT JOIN open_alerts al ON al.couple_id = cp.id
ORDER BY lower(cp.label) COLLATE "C", cp.id, p.id
"""


# Per couple: a correlated subquery for each figure, each served by an index.
SQL_PER_COUPLE = f"""
WITH couples AS (
    SELECT cp.id, cp.label
    FROM {Couple._meta.db_table} cp
    JOIN {Couple.counselors.through._meta.db_table} cc ON cc.couple_id = cp.id
    JOIN {Counselor._meta.db_table} c ON c.id = cc.counselor_id
    JOIN {get_user_model()._meta.db_table} u ON u.id = c.user_id
    WHERE c.user_id = %(user)s AND u.is_active AND u.is_staff AND cp.status <> 'closed'
)
SELECT cp.id, cp.label,
       (SELECT min(s.starts_at) FROM {CounselingSession._meta.db_table} s
        WHERE s.couple_id = cp.id AND s.starts_at > %(now)s),
       (SELECT count(*)
        FROM {Response._meta.db_table} r
        JOIN {Assignment._meta.db_table} a ON a.id = r.assignment_id
        WHERE a.couple_id = cp.id AND a.status = 'active'
          AND r.status IN ('not_started', 'draft') AND r.due_at < %(now)s),
       (SELECT count(*) FROM {Alert._meta.db_table} al
        WHERE al.couple_id = cp.id AND al.acknowledged_at IS NULL),
       g.gap, g.gap - g.previous, p.id,
       (SELECT count(*) FROM {Response._meta.db_table} r
        WHERE r.partner_id = p.id AND r.due_at >= %(period_start)s AND r.status = 'submitted'),
       (SELECT count(*) FROM {Response._meta.db_table} r
        WHERE r.partner_id = p.id AND r.due_at >= %(period_start)s),
       (SELECT r.preferred_balance FROM {Response._meta.db_table} r
        WHERE r.partner_id = p.id AND r.status = 'submitted' AND r.preferred_balance IS NOT NULL
        ORDER BY r.submitted_at DESC LIMIT 1),
       coalesce((SELECT r.map_position FROM {Response._meta.db_table} r
                 WHERE r.partner_id = p.id AND r.status = 'submitted' AND r.map_position <> ''
                 ORDER BY r.submitted_at DESC LIMIT 1), '')
FROM couples cp
LEFT JOIN LATERAL (
    SELECT (array_agg(r.balance_gap ORDER BY r.submitted_at DESC, r.id DESC))[1] AS gap,
           (array_agg(r.balance_gap ORDER BY r.submitted_at DESC, r.id DESC))[2] AS previous
    FROM {Response._meta.db_table} r
    JOIN {Assignment._meta.db_table} a ON a.id = r.assignment_id
    WHERE a.couple_id = cp.id AND r.balance_gap IS NOT NULL
) g ON true
LEFT JOIN {Partner._meta.db_table} p ON p.couple_id = cp.id AND p.removed_at IS NULL
ORDER BY lower(cp.label) COLLATE "C", cp.id, p.id
"""
BASELINES = {"aggregates": SQL_AGGREGATES, "per couple": SQL_PER_COUPLE}


def run_sql(sql: str, user_id: int, now: dt.datetime) -> list[tuple]:
    params = {"user": user_id, "now": now, "period_start": now - dashboard.PERIOD}
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


# --- Comparing -----------------------------------------------------------------------------


def comparable_ours(rows) -> tuple[list, dict]:
    return [row.couple_id for row in rows], {
        row.couple_id: {
            "next_session": row.next_session,
            "overdue": row.overdue,
            "open_alerts": row.open_alerts,
            "gap": row.gap,
            "gap_change": row.gap_change,
            "partners": {
                s.partner_id: (s.done, s.assigned, s.balance, s.position) for s in row.partners
            },
        }
        for row in rows
    }


def comparable_sql(rows) -> tuple[list, dict]:
    order, figures = [], {}
    for couple, _, next_session, overdue, alerts, gap, change, partner, *summary in rows:
        if couple not in figures:
            order.append(couple)
            figures[couple] = {
                "next_session": next_session,
                "overdue": overdue,
                "open_alerts": alerts,
                "gap": gap,
                "gap_change": change,
                "partners": {},
            }
        if partner is not None:
            figures[couple]["partners"][partner] = tuple(summary)
    return order, figures


def check_equal(ours: tuple[list, dict], baseline: tuple[list, dict]) -> None:
    (our_order, our_figures), (sql_order, sql_figures) = ours, baseline
    if len(our_figures) != COUPLES:
        raise RuntimeError(f"caseload() gave {len(our_figures)} couples, not {COUPLES}")
    differ = [
        (pk, our_figures.get(pk), sql_figures.get(pk))
        for pk in our_figures.keys() | sql_figures.keys()
        if our_figures.get(pk) != sql_figures.get(pk)
    ]
    if differ:
        pk, mine, theirs = sorted(differ, key=lambda d: d[0])[0]
        raise RuntimeError(
            f"{len(differ)} couples differ between caseload() and the SQL; "
            f"couple {pk}: ours {mine}, SQL {theirs}"
        )
    if our_order != sql_order:
        raise RuntimeError("caseload() and the SQL order the couples differently")


def coverage(figures: dict) -> str:
    """How many couples have each kind of figure, so that equality is not equality of blanks."""
    partners = [s for f in figures.values() for s in f["partners"].values()]
    counts = {
        "overdue": sum(f["overdue"] > 0 for f in figures.values()),
        "open alerts": sum(f["open_alerts"] > 0 for f in figures.values()),
        "a next session": sum(f["next_session"] is not None for f in figures.values()),
        "a gap change": sum(f["gap_change"] is not None for f in figures.values()),
    }
    missing = [what for what, n in counts.items() if n in (0, len(figures))]
    with_position = sum(bool(s[3]) for s in partners)
    if missing or not with_position:
        raise RuntimeError(f"The seeded data does not exercise every figure: {counts}")
    described = ", ".join(f"{n} with {what}" for what, n in counts.items())
    return f"{described}; {with_position} of {len(partners)} partners with a map position"


# --- Timing --------------------------------------------------------------------------------


def time_ours(user_id: int, now: dt.datetime) -> tuple[list[float], list, int]:
    """caseload() for a freshly loaded user, as the home page has it: the time zone
    middleware has already looked up the user's counselor. One warm-up (whose queries are
    counted) and RUNS timed calls."""
    users = get_user_model().objects.select_related("counselor")
    user = users.get(pk=user_id)
    with CaptureQueriesContext(connection) as queries:
        rows = dashboard.caseload(user, now=now)
    times = []
    for _ in range(RUNS):
        user = users.get(pk=user_id)
        started = time.perf_counter()
        rows = dashboard.caseload(user, now=now)
        times.append(time.perf_counter() - started)
    return times, rows, len(queries)


def time_sql(sql: str, user_id: int, now: dt.datetime) -> tuple[list[float], list]:
    rows = run_sql(sql, user_id, now)
    times = []
    for _ in range(RUNS):
        started = time.perf_counter()
        rows = run_sql(sql, user_id, now)
        times.append(time.perf_counter() - started)
    return times, rows


def run() -> tuple[dict, str]:
    now = timezone.now().replace(microsecond=0)
    user_id = seed(now)
    ours, our_rows, queries = time_ours(user_id, now)
    mine = comparable_ours(our_rows)
    covered = coverage(mine[1])
    value = min(ours) * 1000
    print(f"  {NAME}: ours {', '.join(f'{t * 1000:.0f}' for t in ours)} ms", flush=True)
    baselines = {}
    for name, sql in BASELINES.items():
        times, rows = time_sql(sql, user_id, now)
        check_equal(mine, comparable_sql(rows))
        baselines[name] = min(times) * 1000
        print(
            f"  {NAME}: SQL {name} {', '.join(f'{t * 1000:.0f}' for t in times)} ms; "
            f"equal figures ({covered})",
            flush=True,
        )
    fastest = min(baselines, key=baselines.get)
    baseline = baselines[fastest]
    ratio = value / baseline
    result = {
        "value": round(value, 1),
        "unit": "ms",
        "baseline": round(baseline, 1),
        "ratio": round(ratio, 3),
        "queries": queries,
        "notes": (
            f"caseload(user, now=now) for a counselor with {COUPLES} couples (plus "
            f"{CLOSED_COUPLES} closed, left out), {RESPONSES:,} responses with stored scores; "
            f"best of {RUNS} after a warm-up, the user and their counselor loaded fresh each "
            "time, as the home page has them. Baseline: the faster of two hand-written SQL "
            "queries run through connection.cursor(), execute and fetchall, one row per "
            "partner ("
            + ", ".join(f"{name} {ms:.1f} ms" for name, ms in baselines.items())
            + "); each one's figures (next session, overdue, open alerts, latest gap and gap "
            "change, per partner done/assigned, latest balance and map position) and couple "
            f"order are checked equal to ours ({covered})"
        ),
    }
    line = (
        f"{NAME}: {value:.1f} ms for {COUPLES} couples, {RESPONSES:,} responses "
        f"(hand-written SQL {baseline:.1f} ms, ratio {ratio:.2f}, {queries} queries)"
    )
    return result, line
