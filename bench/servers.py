"""Gunicorn, as production runs it, on the bench database: for the benchmarks that load it.

The command is the Dockerfile's (`gunicorn therapy.wsgi:application --access-logfile -`),
bound to a free local port, with the production settings (DJANGO_ENV=production: DEBUG off,
the production middleware, a Redis cache for the rate limits). The secrets are made for the
run; the field keys are this process's, so the servers read what the bench seeded.
"""

import http.client
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings

ROOT = Path(__file__).resolve().parent.parent
# What the proxy in front of production passes on with every request: the site's name, one
# for every server, and that the request came over HTTPS (SECURE_PROXY_SSL_HEADER), so that
# the SSL redirect lets it through, as it does there.
FORWARDED = {"Host": "127.0.0.1", "X-Forwarded-Proto": "https"}
STARTUP_SECONDS = 30


def production_environment(*, settings_module: str, static_root: Path, **extra: str) -> dict:
    env = dict(os.environ)
    # Production logs at its default level (INFO), whatever this process prints.
    env.pop("LOG_LEVEL", None)
    env.update(
        {
            "DJANGO_ENV": "production",
            "DJANGO_SETTINGS_MODULE": settings_module,
            "SECRET_KEY": secrets.token_urlsafe(48),
            "ALLOWED_HOSTS": "127.0.0.1",
            "FIELD_ENCRYPTION_KEYS": ",".join(settings.FIELD_ENCRYPTION_KEYS),
            "FIELD_LOOKUP_KEY": settings.FIELD_LOOKUP_KEY,
            # The rate limits count in Redis, as with several web processes in production.
            "CACHE_URL": os.environ["CELERY_BROKER_URL"],
            "STATIC_ROOT": str(static_root),
            "PYTHONUNBUFFERED": "1",
            **extra,
        }
    )
    return env


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def gunicorn(env: dict, *, workers: int, log: Path):
    """A running gunicorn with `workers` sync workers; yields (port, master process)."""
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "therapy.wsgi:application",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--access-logfile",
        "-",
        # Its own control socket, not the shared default path, as two servers run at once.
        "--control-socket",
        str(log.with_suffix(".ctl")),
    ]
    with log.open("ab") as output:
        master = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT
        )
    try:
        wait_until_serving(port, master, workers, log)
        yield port, master
    finally:
        master.send_signal(signal.SIGTERM)
        try:
            master.wait(timeout=20)
        except subprocess.TimeoutExpired:
            master.kill()
            master.wait()


def wait_until_serving(port: int, master: subprocess.Popen, workers: int, log: Path) -> None:
    """Until /healthz answers 200 and every worker has started."""
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if master.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {master.returncode}; see {log}")
        if len(worker_pids(master.pid)) == workers and get(port, "/healthz")[0] == 200:
            return
        time.sleep(0.2)
    raise RuntimeError(f"gunicorn did not answer /healthz within {STARTUP_SECONDS}s; see {log}")


def get(port: int, path: str, headers: dict | None = None) -> tuple[int, bytes]:
    """One GET, on a connection of its own; (0, b"") while nothing listens."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request("GET", path, headers={**FORWARDED, **(headers or {})})
        response = connection.getresponse()
        return response.status, response.read()
    except (ConnectionError, OSError):
        return 0, b""
    finally:
        connection.close()


def worker_pids(master_pid: int) -> list[int]:
    children = Path(f"/proc/{master_pid}/task/{master_pid}/children")
    try:
        return [int(pid) for pid in children.read_text().split()]
    except FileNotFoundError:
        return []


def rss_mb(pid: int) -> float:
    """Resident memory of `pid` from /proc, in MB (VmRSS is in kB)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"/proc/{pid}/status has no VmRSS")
