"""A web worker's resident memory after serving varied requests, against a process that has
only run django.setup() with the same settings.

The worker is gunicorn's, as production runs it (bench/servers.py), with one worker so that
it serves every request: REQUESTS requests in turn of the API's caseload, a couple's scores
and a couple's brief (with a practice's key, over the couples of a seeded caseload), and the
dashboard's home page for the counselor signed in with the real sign-in form. Its VmRSS
from /proc is read after the last answer. The baseline is a fresh interpreter that runs
django.setup() with the same environment and reads its own VmRSS.
"""

import http.client
import itertools
import json
import secrets
import subprocess
import sys
import tempfile
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

from django.contrib.auth import get_user_model
from django.utils import timezone

from bench import api_caseload, servers
from clients.models import Couple

NAME = "worker_memory"
REQUESTS = 400
ENVIRONMENT = {
    # The second step of sign-in needs a code from an app; the password step is the real form.
    "STAFF_TWO_FACTOR": "false",
    # Room for every API request of the run within the minute, rather than production's 120.
    "API_KEY_RATE": "1000/min",
}
BARE_SETUP = (
    "import django, pathlib\n"
    "django.setup()\n"
    "status = pathlib.Path('/proc/self/status').read_text().splitlines()\n"
    "print(next(line.split()[1] for line in status if line.startswith('VmRSS:')))\n"
)


def collect_static(env: dict) -> None:
    """The static files and their manifest, which the production pages' links are read from."""
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "--verbosity", "0"],
        cwd=servers.ROOT,
        env={**env, "DJANGO_SETTINGS_MODULE": "bench.static_settings"},
        check=True,
    )


def sign_in(port: int, username: str, password: str) -> dict:
    """The dashboard's sign-in form, as a browser posts it; the signed-in request headers."""
    login = "/admin/login/"
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request("GET", login, headers=servers.FORWARDED)
    response = connection.getresponse()
    response.read()
    cookies = SimpleCookie()
    for header in response.headers.get_all("Set-Cookie") or []:
        cookies.load(header)
    token = cookies["csrftoken"].value
    form = urlencode(
        {
            "csrfmiddlewaretoken": token,
            "username": username,
            "password": password,
            "next": "/admin/",
        }
    )
    connection.request(
        "POST",
        login,
        body=form,
        headers={
            **servers.FORWARDED,
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": f"csrftoken={token}",
            "Referer": f"https://{servers.FORWARDED['Host']}{login}",
        },
    )
    response = connection.getresponse()
    response.read()
    connection.close()
    for header in response.headers.get_all("Set-Cookie") or []:
        cookies.load(header)
    if response.status != 302 or "sessionid" not in cookies:
        raise RuntimeError(f"Signing in answered {response.status}")
    session = "; ".join(f"{name}={cookies[name].value}" for name in ("csrftoken", "sessionid"))
    return {"Cookie": session}


def requests_to_serve(couple_ids: list[int], key_headers: dict, session: dict):
    """REQUESTS (path, headers) in turn: caseload, scores, brief, home page."""
    couples = itertools.cycle(couple_ids)
    kinds = itertools.cycle(["caseload", "scores", "brief", "home"])
    for kind in itertools.islice(kinds, REQUESTS):
        if kind == "caseload":
            yield api_caseload.PATH, key_headers
        elif kind == "home":
            yield "/admin/", session
        else:
            yield f"/api/v1/couples/{next(couples)}/{kind}/", key_headers


def bare_setup_mb(env: dict) -> float:
    done = subprocess.run(
        [sys.executable, "-c", BARE_SETUP],
        cwd=servers.ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return int(done.stdout.split()[-1]) / 1024


def run(scratch: Path | None = None) -> tuple[dict, str]:
    scratch = scratch or Path(tempfile.mkdtemp(prefix="therapy-bench-"))
    raw_key, _ = api_caseload.seed(timezone.now(), name=NAME)
    api_caseload.analyze()
    password = secrets.token_urlsafe(16)
    user = get_user_model().objects.get(username=f"{NAME}-counselor")
    user.set_password(password)
    user.save(update_fields=["password"])
    couple_ids = list(
        Couple.objects.filter(practice__name=f"{NAME} practice")
        .exclude(status=Couple.Status.CLOSED)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    static_root = scratch / "worker-memory-static"
    static_root.mkdir(exist_ok=True)
    env = servers.production_environment(
        settings_module="therapy.settings", static_root=static_root, **ENVIRONMENT
    )
    collect_static(env)
    key_headers = {"Authorization": f"Bearer {raw_key}"}
    served = {}
    with servers.gunicorn(env, workers=1, log=scratch / "worker-memory.log") as (port, master):
        session = sign_in(port, user.username, password)
        for path, headers in requests_to_serve(couple_ids, key_headers, session):
            status, _ = servers.get(port, path, headers)
            kind = path.rstrip("/").rsplit("/", 1)[-1]
            if status != 200:
                raise RuntimeError(f"{path} answered {status}")
            served[kind] = served.get(kind, 0) + 1
        (worker,) = servers.worker_pids(master.pid)
        value = servers.rss_mb(worker)
    baseline = bare_setup_mb(env)
    ratio = value / baseline
    print(f"  {NAME}: served {json.dumps(served)}", flush=True)
    result = {
        "value": round(value, 1),
        "unit": "MB",
        "baseline": round(baseline, 1),
        "ratio": round(ratio, 3),
        "queries": None,
        "notes": (
            f"VmRSS of gunicorn's one worker (the production command and settings) after "
            f"{REQUESTS} requests in turn: the API's caseload, a couple's scores and brief "
            f"over {len(couple_ids)} couples with a practice's key, and the dashboard's home "
            "page signed in with the sign-in form (the second step off: it needs an app's "
            "code). Baseline: VmRSS of a fresh interpreter after django.setup() with the "
            "same environment"
        ),
    }
    line = (
        f"{NAME}: {value:.0f} MB for a web worker after {REQUESTS} requests "
        f"(django.setup() alone {baseline:.0f} MB, ratio {ratio:.2f})"
    )
    return result, line
