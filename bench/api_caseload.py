"""Requests per second for the API's caseload, on gunicorn as production runs it, against a bare
Django view returning the same JSON from the same query.

Ours is `GET /api/v1/caseload/` with a practice's API key, served by the production command
(bench/servers.py) with two workers and the production settings: DEBUG off, every middleware,
the per-key rate limit counting in Redis, the access log written. The baseline is a bare view
running the same query, the caseload read by the product's own function
(bench/bare_caseload_orm.py), on the same gunicorn with two workers, the same settings but for
its URL module and no middleware, so that the ratio is what DRF, the middleware, the rate limit
and the access log cost. Beside it, for the notes, the same bare view with the two queries
written by hand (bench/bare_caseload.py), which tells the ORM's share. All run at once on the
same seeded practice, a counselor with COUPLES couples and ten weeks of two weekly worksheets
each, and their bodies are checked byte for byte equal before any timing. A client in another
process (bench/load.py) sends the requests from THREADS threads; after a warm-up, ROUNDS rounds
of REQUESTS requests go to each server in turn, and the best round of each counts.
"""

import itertools
import json
import random
import subprocess
import sys
import tempfile
from contextlib import ExitStack
from pathlib import Path
from urllib.parse import unquote

from django.contrib.auth import get_user_model
from django.core import signing
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from bench import bare_caseload, database, servers
from bench.dashboard import SURNAMES, seed_couples, seed_history, templates
from clients.models import Couple, Partner
from therapy.api_keys import create_api_key
from therapy.models import Alert, ApiKey, CounselingSession, Counselor, Practice
from worksheets.models import Assignment, Response

NAME = "api_caseload"
PATH = "/api/v1/caseload/"
COUPLES = 56
CLOSED_COUPLES = 3
WORKERS = 2
THREADS = 4
WARMUP = 100
REQUESTS = 300
ROUNDS = 3
# The baseline, the same query in a bare view, and a second bare view with the queries written
# by hand, which tells the ORM's share of the cost from DRF's and the middleware's.
BARE_VIEWS = {"bare": "bench.bare_caseload_orm", "bare SQL": "bench.bare_caseload"}
# High enough that the timed requests are never refused, and per second, so that the key's
# request history DRF keeps in Redis holds about a second of requests: a few hundred
# timestamps, where production's 120/min holds at most 120.
RATE = "2000/s"


def seed(now, *, name: str = NAME) -> tuple[str, int]:
    """A practice `name` with a counselor's caseload and its history, and a read key; returns
    the key and the count of responses. The counselor's username is `name`-counselor."""
    rng = random.Random(COUPLES)
    practice = Practice.objects.create(name=f"{name} practice")
    user = get_user_model().objects.create(
        username=f"{name}-counselor", first_name="Ari", last_name="Bench", is_staff=True
    )
    counselor = Counselor.objects.create(user=user, practice=practice)
    labels = rng.sample(
        [f"{a} & {b}" for a, b in itertools.permutations(SURNAMES, 2)], COUPLES + CLOSED_COUPLES
    )
    seed_couples(labels[COUPLES:], counselor=counselor, now=now, rng=rng, closed=True)
    couples, partners = seed_couples(labels[:COUPLES], counselor=counselor, now=now, rng=rng)
    responses = seed_history(
        couples, partners, counselor=counselor, worksheets=templates(), now=now, rng=rng
    )
    _, raw_key = create_api_key(
        practice=practice,
        name=f"{name} key",
        scope=ApiKey.Scope.READ,
        created_by=user,
        now=now,
    )
    return raw_key, responses


def analyze() -> None:
    """Fresh planner statistics for the seeded tables, as a database in use has."""
    tables = [
        model._meta.db_table
        for model in (Couple, Couple.counselors.through, Partner, Assignment, Response)
    ] + [CounselingSession._meta.db_table, Alert._meta.db_table, ApiKey._meta.db_table]
    with database.raw_connection(autocommit=True) as conn:
        for table in tables:
            conn.execute(f"VACUUM ANALYZE {table}")


def count_queries(raw_key: str) -> int:
    """Queries of one API request once warm (the key's last use written a moment ago)."""
    client = Client(HTTP_HOST="127.0.0.1", HTTP_AUTHORIZATION=f"Bearer {raw_key}")
    if client.get(PATH).status_code != 200:
        raise RuntimeError("The API refused the bench key")
    with CaptureQueriesContext(connection) as queries:
        client.get(PATH)
    return len(queries)


def comparable(body: bytes, secret_key: str) -> tuple[bytes, str, object]:
    """The body with its next link taken out; the link's address before the cursor; and what
    the cursor says. The signed cursor carries the second it was made, so two bodies made a
    second apart differ there and only there."""
    link = json.loads(body)["next"]
    if link is None:
        return body, "", None
    address, cursor = link.split("?cursor=")
    said = signing.loads(unquote(cursor), key=secret_key, salt=bare_caseload.CURSOR_SALT)
    without_link = body.replace(json.dumps(link).encode(), b'"<next>"')
    if without_link == body:
        raise RuntimeError("The next link is not written in the body as json.dumps writes it")
    return without_link, address, said


def check_same_body(ports: dict[str, int], headers: dict, secret_key: str) -> str:
    """Every server's body byte for byte the API's (the cursor's time aside), and what the
    page covers."""
    answers = {name: servers.get(port, PATH, headers) for name, port in ports.items()}
    if any(status != 200 for status, _ in answers.values()):
        raise RuntimeError(f"Not every server answered 200: {answers}")
    api_body = answers["api"][1]
    for name, (_, body) in answers.items():
        if comparable(body, secret_key) != comparable(api_body, secret_key):
            raise RuntimeError(
                f"The API and the {name} view answer different bodies:\n{api_body[:600]!r}\n"
                f"{body[:600]!r}"
            )
    page = json.loads(api_body)
    rows = page["results"]
    partners = [p for row in rows for p in row["partners"]]
    counts = {
        "overdue work": sum(row["overdue"] > 0 for row in rows),
        "open alerts": sum(row["open_alerts"] > 0 for row in rows),
        "a next session": sum(row["next_session"] is not None for row in rows),
        "a gap change": sum(row["gap_change"] is not None for row in rows),
        "partners with a map position": sum(bool(p["position"]) for p in partners),
    }
    if page["next"] is None or not all(counts.values()):
        raise RuntimeError(f"The seeded page does not exercise every field: {counts}")
    described = ", ".join(f"{n} with {what}" for what, n in counts.items())
    return f"{len(rows)} couples on the first page and a next link; {described}"


def load(port: int, headers: dict, requests: int) -> float:
    """Requests per second for `requests` GETs of the caseload from bench/load.py."""
    spec = {"port": port, "path": PATH, "headers": headers, "requests": requests}
    done = subprocess.run(
        [sys.executable, "-m", "bench.load"],
        input=json.dumps({**spec, "threads": THREADS}),
        capture_output=True,
        text=True,
        cwd=servers.ROOT,
        check=True,
    )
    result = json.loads(done.stdout)
    if result["statuses"] != {"200": requests}:
        raise RuntimeError(f"Not every request answered 200: {result['statuses']}")
    return requests / result["seconds"]


def run(scratch: Path | None = None) -> tuple[dict, str]:
    now = timezone.now()
    raw_key, responses = seed(now)
    analyze()
    queries = count_queries(raw_key)
    headers = {**servers.FORWARDED, "Authorization": f"Bearer {raw_key}"}
    logs = scratch or Path(tempfile.mkdtemp(prefix="therapy-bench-"))
    static_root = logs / "static"
    static_root.mkdir(exist_ok=True)
    api_env = servers.production_environment(
        settings_module="therapy.settings", static_root=static_root, API_KEY_RATE=RATE
    )
    environments = {"api": api_env}
    for name, urls in BARE_VIEWS.items():
        environments[name] = servers.production_environment(
            settings_module="bench.bare_settings",
            static_root=static_root,
            BENCH_BARE_URLCONF=urls,
            # The cursor in the next link is signed with the secret key.
            SECRET_KEY=api_env["SECRET_KEY"],
        )
    with ExitStack() as stack:
        ports = {
            name: stack.enter_context(
                servers.gunicorn(env, workers=WORKERS, log=logs / f"api-caseload-{name}.log")
            )[0]
            for name, env in environments.items()
        }
        covered = check_same_body(ports, headers, api_env["SECRET_KEY"])
        for port in ports.values():
            load(port, headers, WARMUP)
        rates = {name: [] for name in ports}
        for _ in range(ROUNDS):
            for name, port in ports.items():
                rates[name].append(load(port, headers, REQUESTS))
    for name, label in (("api", "API"), *((name, f"{name} view") for name in BARE_VIEWS)):
        print(f"  {NAME}: {label} {', '.join(f'{r:.0f}' for r in rates[name])} req/s", flush=True)
    value, baseline, by_hand = (max(rates[name]) for name in ("api", "bare", "bare SQL"))
    ratio = value / baseline
    result = {
        "value": round(value, 1),
        "unit": "req/s",
        "baseline": round(baseline, 1),
        "ratio": round(ratio, 3),
        "queries": queries,
        "notes": (
            f"GET {PATH} with a practice's read key, {COUPLES} open couples (plus "
            f"{CLOSED_COUPLES} closed), {responses:,} responses; gunicorn with {WORKERS} sync "
            "workers, the production settings and access log, the key's rate limit in Redis "
            f"set to {RATE} so that no timed request is refused. {THREADS} client threads in "
            f"another process; best of {ROUNDS} rounds of {REQUESTS} requests after "
            f"{WARMUP} to warm up, the servers in turn. Baseline: a plain Django view on "
            "the same gunicorn and settings, no middleware, no DRF, running the same query "
            "(find_api_key, dashboard.caseload) and json.dumps; its body checked byte "
            "for byte equal to the API's, the second the cursor was signed aside "
            f"({covered}). The same bare view with the key and the caseload's two queries "
            f"written by hand, body equal too: {by_hand:.1f} req/s, ratio "
            f"{value / by_hand:.2f} (the ORM's share)"
        ),
    }
    line = (
        f"{NAME}: {value:.0f} req/s for the caseload of {COUPLES} couples on gunicorn "
        f"(bare Django view {baseline:.0f} req/s, ratio {ratio:.2f}, {queries} queries)"
    )
    return result, line
