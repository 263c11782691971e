"""Starting the project's real processes (Celery worker and beat, gunicorn) for a test."""

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_database_url() -> str:
    """The URL of the database pytest-django created, so child processes share it."""
    db = connection.settings_dict
    user = db["USER"] or "postgres"
    auth = f"{user}:{db['PASSWORD']}" if db["PASSWORD"] else user
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def process_env(*, smtp_port: int, site_url: str = "http://127.0.0.1:8000", **extra) -> dict:
    """The environment of a child process: the test database and broker, and Django's real
    SMTP backend pointed at the test's SMTP server (tests/smtp_servers.py), so that what the
    test counts is what reached the provider."""
    # The browser tests allow the ORM under an event loop in this process only.
    inherited = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env = {
        **inherited,
        "DATABASE_URL": test_database_url(),
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(smtp_port),
        "EMAIL_TIMEOUT": "5",
        "SITE_URL": site_url,
        "REMINDER_SWEEP_SECONDS": "1",
        "LOG_LEVEL": "INFO",
        "PYTHONUNBUFFERED": "1",
    }
    env.update({key: str(value) for key, value in extra.items()})
    return env


def command(argv: list[str]) -> list[str]:
    """Run an entry point (gunicorn, celery) from this virtualenv."""
    return [str(BIN / argv[0]), *argv[1:]]


@contextlib.contextmanager
def running(argv: list[str], *, env: dict, log: Path):
    with log.open("wb") as output:
        process = subprocess.Popen(
            command(argv),
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            yield process
        finally:
            stop(process)


def stop(process: subprocess.Popen, sig=signal.SIGTERM) -> None:
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, sig)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


def wait_for(predicate, *, timeout: float, interval: float = 0.25, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(interval)
    raise AssertionError(f"Timed out after {timeout}s waiting for {what}")


def flush_broker() -> None:
    import redis

    redis.Redis.from_url(settings.CELERY_BROKER_URL).flushdb()


# The Celery worker as the tests run it: two processes, no chatter between workers.
WORKER = [
    "celery",
    "-A",
    "therapy",
    "worker",
    "--pool=prefork",
    "--concurrency=2",
    "--loglevel=INFO",
    "--without-gossip",
    "--without-mingle",
]


def beat_command(schedule) -> list[str]:
    return ["celery", "-A", "therapy", "beat", "--loglevel=INFO", f"--schedule={schedule}"]
