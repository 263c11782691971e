"""The session brief of a couple with a year of weekly check-ins, against hand-written SQL.

Ours is `therapy.brief.session_brief`, as the brief page calls it: everything the brief shows,
patterns and prompts included. The baseline is hand-written SQL, run through the same
connection, that gathers the figures the brief shows: the sessions either side of now, each
partner's homework since the last session (done, missed, open), each subscale's latest figure
since then and the latest before it, the map points, the latest two gaps, the guesses and the
open alerts. Both sets of figures are turned into the same dict and must be equal.

The seeded history is 52 weekly check-ins per partner and, every fourth week, the time map
(preferred balance, guesses and a written answer), answered at random but scored by the real
scoring code, so the stored `scores` are what a submission stores.
"""

import datetime as dt
import json
import random
import time
from collections import defaultdict

from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from bench.dashboard import answers_for
from clients.models import Couple, Partner
from therapy.brief import session_brief
from therapy.models import Alert, CounselingSession, Counselor, Practice
from worksheets.library import load_library
from worksheets.models import Assignment, Response, WorksheetTemplate
from worksheets.responses import headline_figures, pair_gap, scale_items
from worksheets.scoring import change_since, compare_partners, score_answers

NAME = "brief"
WEEKS = 52
TIME_MAP_EVERY = 4
WEEK = dt.timedelta(days=7)
RUNS = 20
WORKSHEETS = ("weekly-checkin", "time-map")


# --- Seeding -------------------------------------------------------------------------------


def seed(now: dt.datetime) -> int:
    """A couple with a year of work, a session a week ago and one tomorrow; its id."""
    rng = random.Random(WEEKS)
    if not WorksheetTemplate.objects.filter(slug=WORKSHEETS[0]).exists():
        load_library()
    templates = {
        slug: WorksheetTemplate.objects.filter(slug=slug).order_by("-version").first()
        for slug in WORKSHEETS
    }
    practice = Practice.objects.create(name="Brief bench practice")
    user = get_user_model().objects.create(username="brief-counselor", is_staff=True)
    counselor = Counselor.objects.create(user=user, practice=practice)
    couple = Couple.objects.create(practice=practice, label="Brief & Bench")
    couple.counselors.add(counselor)
    partners = [
        Partner.objects.create(
            couple=couple,
            display_name=name,
            email=f"{name.lower()}@bench.example",
            consented_at=now - dt.timedelta(days=400),
        )
        for name in ("Robin", "Noor")
    ]
    CounselingSession.objects.create(
        couple=couple, counselor=counselor, starts_at=now - dt.timedelta(days=10)
    )
    CounselingSession.objects.create(
        couple=couple, counselor=counselor, starts_at=now + dt.timedelta(hours=20)
    )
    rows = []
    for slug, every in ((WORKSHEETS[0], 1), (WORKSHEETS[1], TIME_MAP_EVERY)):
        template = templates[slug]
        items = scale_items(template)
        # The check-ins' latest is due tomorrow; the time maps' latest, handed in, two days ago.
        count = WEEKS // every
        last_due = now + dt.timedelta(days=1) if every == 1 else now - dt.timedelta(days=2)
        first_due = last_due - (count - 1) * every * WEEK
        assignment = Assignment.objects.create(
            couple=couple,
            template=template,
            due_at=first_due,
            recurrence=Assignment.Recurrence.EVERY_N_DAYS,
            interval_days=7 * every,
            assigned_by=counselor,
            created_at=first_due - WEEK,
        )
        leaning = {p.pk: rng.uniform(-1.5, 1.5) for p in partners}
        balance = {p.pk: rng.randint(2, 8) for p in partners}
        for partner, other in (partners, partners[::-1]):
            previous = None
            for occurrence in range(1, count + 1):
                due = first_due + (occurrence - 1) * every * WEEK
                # The one before the latest, the first partner missed.
                missed = partner is partners[0] and occurrence == count - 1
                submitted = due < now and not missed
                handed_in = due - dt.timedelta(hours=rng.uniform(2, 60))
                response = Response(
                    assignment=assignment,
                    partner=partner,
                    occurrence=occurrence,
                    due_at=due,
                    status=Response.Status.SUBMITTED if submitted else Response.Status.NOT_STARTED,
                    submitted_at=handed_in if submitted else None,
                    engagement=rng.choice([None, 3, 4, 5]) if submitted else None,
                )
                if submitted:
                    balance[partner.pk] = max(0, min(10, balance[partner.pk] + rng.randint(-1, 1)))
                    guess = max(0, min(10, balance[other.pk] + rng.randint(-2, 2)))
                    answers = answers_for(
                        items,
                        rng,
                        leaning=leaning[partner.pk],
                        balance=balance[partner.pk],
                        guess=guess,
                    )
                    if slug == "time-map":
                        # Always the balance and the guess, so every pair has a gap and guesses.
                        for item in items:
                            if item.maximum == 10:
                                answers[item.key] = guess if item.about else balance[partner.pk]
                        answers["new_thing_to_try"] = f"Something new, week {occurrence}"
                    response.answers = answers
                    scores = score_answers(
                        items=items, answers=answers, spec=template.scoring
                    ).as_dict()
                    scores["change"] = change_since(previous.scores, scores) if previous else {}
                    response.scores = scores
                    response.preferred_balance, response.map_position = headline_figures(scores)
                    previous = response
                rows.append(response)
    by_occurrence = defaultdict(list)
    for response in rows:
        by_occurrence[(response.assignment_id, response.occurrence)].append(response)
    for pair in by_occurrence.values():
        done = sorted((r for r in pair if r.submitted_at), key=lambda r: r.submitted_at)
        if done:
            done[-1].balance_gap = pair_gap(done[-1], [r for r in pair if r is not done[-1]])
    Response.objects.bulk_create(rows)
    for n, kind in enumerate((Alert.Kind.CONCERN_BAND, Alert.Kind.MISSED_WORK)):
        Alert.objects.create(
            couple=couple,
            kind=kind,
            reason=f"Seeded for the brief benchmark ({n}).",
            created_at=now - dt.timedelta(days=n + 1),
        )
    return couple.pk


# --- The hand-written baseline -------------------------------------------------------------

R, A, T = Response._meta.db_table, Assignment._meta.db_table, WorksheetTemplate._meta.db_table
S, AL, P = CounselingSession._meta.db_table, Alert._meta.db_table, Partner._meta.db_table

SQL_SESSIONS = f"""
SELECT (SELECT min(starts_at) FROM {S} WHERE couple_id = %(couple)s AND starts_at > %(now)s),
       (SELECT max(starts_at) FROM {S} WHERE couple_id = %(couple)s AND starts_at <= %(now)s)
"""
# Everything per response the figures come from, in one pass over the couple's responses.
SQL_FIGURES = f"""
WITH responses AS (
    SELECT r.id, r.partner_id, r.status, r.due_at, r.submitted_at, r.occurrence, r.scores,
           r.balance_gap, r.assignment_id, a.status AS assignment_status, t.id AS template_id,
           t.title
    FROM {R} r
    JOIN {A} a ON a.id = r.assignment_id
    JOIN {T} t ON t.id = a.template_id
    JOIN {P} p ON p.id = r.partner_id AND p.removed_at IS NULL
    WHERE a.couple_id = %(couple)s
),
figures AS (
    SELECT partner_id, template_id, title, s ->> 'label' AS label,
           (s ->> 'score')::float AS score, submitted_at, s ->> 'key' AS key
    FROM responses, jsonb_array_elements(scores -> 'subscales') s
    WHERE status = 'submitted' AND s ->> 'score' IS NOT NULL
)
SELECT 'homework', partner_id, title,
       CASE WHEN status = 'submitted' THEN 'done'
            WHEN due_at < %(now)s THEN 'missed' ELSE 'open' END,
       coalesce(submitted_at, due_at), NULL::float, NULL::float
FROM responses
WHERE coalesce(submitted_at, due_at) >= %(since)s
  AND (status = 'submitted' OR assignment_status = 'active')
UNION ALL
SELECT 'score', partner_id, title, label,
       NULL, (array_agg(score ORDER BY submitted_at DESC)
                  FILTER (WHERE submitted_at >= %(since)s))[1],
       (array_agg(score ORDER BY submitted_at DESC) FILTER (WHERE submitted_at < %(since)s))[1]
FROM figures
GROUP BY partner_id, template_id, title, key, label
HAVING bool_or(submitted_at >= %(since)s)
UNION ALL
SELECT 'map', partner_id, NULL, NULL, submitted_at,
       (scores -> 'map' ->> 'connection')::float, (scores -> 'map' ->> 'autonomy')::float
FROM responses
WHERE status = 'submitted' AND scores ? 'map' AND scores -> 'map' <> 'null'
UNION ALL
SELECT 'gap', NULL, NULL, NULL, submitted_at, balance_gap, NULL
FROM (SELECT submitted_at, balance_gap FROM responses WHERE balance_gap IS NOT NULL
      ORDER BY submitted_at DESC, id DESC LIMIT 2) latest
"""
# The pairs both partners handed in, for how close each one's guesses were.
SQL_PAIRS = f"""
SELECT a.partner_id, a.submitted_at, a.scores, b.partner_id, b.submitted_at, b.scores
FROM {R} a
JOIN {R} b ON b.assignment_id = a.assignment_id AND b.occurrence = a.occurrence
          AND b.partner_id > a.partner_id
JOIN {A} asg ON asg.id = a.assignment_id
WHERE asg.couple_id = %(couple)s AND a.status = 'submitted' AND b.status = 'submitted'
  AND a.scores -> 'guesses' <> '[]'::jsonb
ORDER BY greatest(a.submitted_at, b.submitted_at)
"""
SQL_ALERTS = f"""
SELECT reason FROM {AL} WHERE couple_id = %(couple)s AND acknowledged_at IS NULL ORDER BY id
"""


def run_sql(couple_id: int, now: dt.datetime) -> dict:
    with connection.cursor() as cursor:
        cursor.execute(SQL_SESSIONS, {"couple": couple_id, "now": now})
        next_session, previous = cursor.fetchone()
        since = previous
        params = {"couple": couple_id, "now": now, "since": since}
        cursor.execute(SQL_FIGURES, params)
        figures = cursor.fetchall()
        cursor.execute(SQL_PAIRS, params)
        pairs = cursor.fetchall()
        cursor.execute(SQL_ALERTS, params)
        alerts = [reason for (reason,) in cursor.fetchall()]
    return comparable_sql(next_session, figures, pairs, alerts, since)


# --- Comparing -----------------------------------------------------------------------------


def _partner() -> dict:
    return {"done": [], "missed": [], "open": [], "scores": {}, "map": [], "guesses": []}


def comparable_ours(brief) -> dict:
    partners = {}
    for summary in brief.partners:
        partners[summary.partner.pk] = {
            "done": sorted((d.worksheet, d.submitted_at) for d in summary.done),
            "missed": sorted(summary.missed),
            "open": sorted(summary.still_open),
            "scores": {
                (s.worksheet, s.label): (s.score, s.change)
                for s in summary.scores
                if s.label != "Preferred balance (0–10)"
            },
            "map": [(at, f["connection"], f["autonomy"]) for at, f in summary.map_points],
            "guesses": summary.guesses and (summary.guesses.now, summary.guesses.before),
        }
    return {
        "session": brief.session.starts_at if brief.session else None,
        "gap": (brief.gap, brief.gap_change),
        "alerts": sorted(alert.reason for alert in brief.alerts),
        "partners": partners,
    }


def comparable_sql(next_session, figures, pairs, alerts, since) -> dict:
    partners = defaultdict(_partner)
    gaps = []
    for kind, partner, title, label, at, first, second in figures:
        if kind == "homework":
            partners[partner][label].append((title, at))
        elif kind == "score":
            change = None if second is None else round(first - second, 2)
            partners[partner]["scores"][(title, label)] = (first, change)
        elif kind == "map":
            partners[partner]["map"].append((at, first, second))
        else:
            gaps.append(int(first))
    history = defaultdict(list)
    for a, a_at, a_scores, b, b_at, b_scores in pairs:
        # Django has psycopg hand jsonb over as text, and decodes it itself.
        result = compare_partners(json.loads(a_scores), json.loads(b_scores))
        for who, value in ((a, result.a_guessed_b), (b, result.b_guessed_a)):
            if value is not None:
                history[who].append((max(a_at, b_at), value))
    for who, summary in partners.items():
        summary["done"].sort()
        summary["missed"].sort()
        summary["open"].sort()
        summary["map"].sort()
        values = history.get(who, [])
        summary["guesses"] = (
            (values[-1][1], values[-2][1] if len(values) > 1 else None)
            if values and values[-1][0] >= since
            else None
        )
    return {
        "session": next_session,
        "gap": (gaps[0] if gaps else None, gaps[0] - gaps[1] if len(gaps) > 1 else None),
        "alerts": sorted(alerts),
        "partners": dict(partners),
    }


def check_equal(ours: dict, theirs: dict) -> str:
    if ours != theirs:
        for key in ours:
            if ours[key] != theirs.get(key):
                raise RuntimeError(f"brief and SQL differ on {key}: {ours[key]} / {theirs[key]}")
        raise RuntimeError("brief and SQL differ")
    counts = [
        f"{len(p['done'])} done, {len(p['missed'])} missed, {len(p['open'])} open, "
        f"{len(p['scores'])} subscales, {len(p['map'])} map points"
        for p in ours["partners"].values()
    ]
    if not all(p["guesses"] for p in ours["partners"].values()) or ours["gap"][1] is None:
        raise RuntimeError("The seeded data does not exercise the guesses or the gap's change")
    return "; ".join(counts)


# --- Timing --------------------------------------------------------------------------------


def run() -> tuple[dict, str]:
    now = timezone.now().replace(microsecond=0)
    couple_id = seed(now)
    couples = Couple.objects.select_related("practice")
    with CaptureQueriesContext(connection) as queries:
        brief = session_brief(couples.get(pk=couple_id), now=now)
    covered = check_equal(comparable_ours(brief), run_sql(couple_id, now))
    ours = []
    for _ in range(RUNS):
        couple = couples.get(pk=couple_id)
        started = time.perf_counter()
        session_brief(couple, now=now)
        ours.append(time.perf_counter() - started)
    theirs = []
    for _ in range(RUNS):
        started = time.perf_counter()
        run_sql(couple_id, now)
        theirs.append(time.perf_counter() - started)
    value, baseline = min(ours) * 1000, min(theirs) * 1000
    ratio = value / baseline
    print(f"  {NAME}: ours {', '.join(f'{t * 1000:.1f}' for t in ours)} ms", flush=True)
    print(f"  {NAME}: SQL {', '.join(f'{t * 1000:.1f}' for t in theirs)} ms", flush=True)
    result = {
        "value": round(value, 2),
        "unit": "ms",
        "baseline": round(baseline, 2),
        "ratio": round(ratio, 3),
        "queries": len(queries) - 1,  # less the couple's own row, loaded before the call
        "notes": (
            f"session_brief(couple, now=now) for a couple with {WEEKS} weekly check-ins and a "
            f"time map every {TIME_MAP_EVERY} weeks per partner, best of {RUNS} after a "
            "warm-up; patterns, prompts, shared and private answers included. Baseline: four "
            "hand-written SQL queries through connection.cursor() (sessions; homework, "
            "subscales latest and before, map points and gaps in one; the pairs for guesses; "
            f"open alerts), their figures checked equal to ours ({covered})"
        ),
    }
    line = (
        f"{NAME}: {value:.1f} ms for {WEEKS} weekly check-ins "
        f"(hand-written SQL {baseline:.1f} ms, ratio {ratio:.2f}, {result['queries']} queries)"
    )
    return result, line
