"""docker-compose.yml runs the project's real entry points, and those commands work here.

Docker cannot run on every machine, so this reads the compose file and starts the very same
gunicorn and celery commands against the local PostgreSQL and Redis.
"""

import datetime as dt
import json
import urllib.error
import urllib.request

import pytest
import yaml
from django.conf import settings
from django.utils import timezone

from tests.factories import CounselorFactory, PracticeFactory, couple_with_partners
from tests.integration.mailbox import messages_to
from tests.integration.processes import ROOT, free_port, process_env, running, wait_for
from worksheets.assignments import assign_worksheet
from worksheets.library import latest_templates, load_library
from worksheets.models import Reminder

pytestmark = pytest.mark.integration

COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]
PRODUCTION = {
    "DJANGO_ENV": "production",
    "SECRET_KEY": "s" * 30 + "0123456789abcdefghijklmnop",
    "ALLOWED_HOSTS": "127.0.0.1",
    "SECURE_SSL_REDIRECT": "false",
    # The keys this test process reads and writes the database with.
    "FIELD_ENCRYPTION_KEYS": ",".join(settings.FIELD_ENCRYPTION_KEYS),
    "FIELD_LOOKUP_KEY": settings.FIELD_LOOKUP_KEY,
}


def get_json(url):
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def answers_health(url):
    try:
        return get_json(url)
    except OSError:
        return None


def web_command(port):
    argv = list(SERVICES["web"]["command"])
    argv[argv.index("--bind") + 1] = f"127.0.0.1:{port}"
    argv[argv.index("--workers") + 1] = "2"
    return argv


def test_compose_defines_the_services_with_health_checks():
    assert {"web", "worker", "beat", "db", "redis"} <= set(SERVICES)
    for name in ("web", "worker", "beat", "db", "redis"):
        assert "healthcheck" in SERVICES[name], name
    assert SERVICES["web"]["command"][:2] == ["gunicorn", "therapy.wsgi:application"]
    assert SERVICES["worker"]["command"][:4] == ["celery", "-A", "therapy", "worker"]
    assert SERVICES["beat"]["command"][:4] == ["celery", "-A", "therapy", "beat"]
    migrate = " ".join(SERVICES["migrate"]["command"])
    assert "manage.py migrate" in migrate and "manage.py load_worksheets" in migrate
    assert "--maxmemory-policy" in SERVICES["redis"]["command"]
    assert (ROOT / ".env.example").exists()


def test_the_compose_commands_serve_health_and_carry_a_task_through(
    transactional_db, tmp_path, smtp_sink
):
    load_library()
    counselor = CounselorFactory(practice=PracticeFactory())
    couple = couple_with_partners(
        counselor=counselor,
        names=("Ana", "Ben"),
        quiet_hours_start=dt.time(0),
        quiet_hours_end=dt.time(0),
    )
    ana = couple.partners.get(display_name="Ana")
    port = free_port()
    env = process_env(smtp_port=smtp_sink.port, site_url=f"http://127.0.0.1:{port}", **PRODUCTION)
    beat = list(SERVICES["beat"]["command"])
    beat[-1] = f"--schedule={tmp_path / 'beat-schedule'}"

    with (
        running(web_command(port), env=env, log=tmp_path / "web.log"),
        running(SERVICES["worker"]["command"], env=env, log=tmp_path / "worker.log"),
        running(beat, env=env, log=tmp_path / "beat.log"),
    ):
        status, body = wait_for(
            lambda: answers_health(f"http://127.0.0.1:{port}/healthz"), timeout=60, what="gunicorn"
        )
        assert (status, body) == (200, {"status": "ok", "database": "ok", "broker": "ok"})

        now = timezone.now()
        assign_worksheet(
            couple=couple,
            template=latest_templates().get(slug="weekly-checkin"),
            due_at=now + dt.timedelta(days=3),
            assigned_by=counselor,
            now=now,
        )
        wait_for(lambda: messages_to(smtp_sink, ana.email), timeout=60, what="the invitation")
        # Only beat's periodic sweep can find this one.
        Reminder.objects.filter(response__partner=ana, kind="due_day").update(due_at=timezone.now())
        wait_for(
            lambda: len(messages_to(smtp_sink, ana.email)) == 2,
            timeout=60,
            what="the nudge swept by beat",
        )
        assert f"http://127.0.0.1:{port}/p/" in messages_to(smtp_sink, ana.email)[0].body


def test_healthz_answers_503_when_the_database_is_unreachable(
    transactional_db, tmp_path, smtp_sink
):
    port = free_port()
    env = process_env(
        smtp_port=smtp_sink.port,
        **PRODUCTION,
        DATABASE_URL="postgres://postgres@127.0.0.1:9/nowhere",
    )
    with running(web_command(port), env=env, log=tmp_path / "web.log"):
        status, body = wait_for(
            lambda: answers_health(f"http://127.0.0.1:{port}/healthz"), timeout=60, what="gunicorn"
        )
    assert status == 503
    assert body == {"status": "unavailable", "database": "down", "broker": "ok"}
