"""The benchmarks' own PostgreSQL database and Redis db, set up before Django starts.

Settings read DATABASE_URL and CELERY_BROKER_URL once, at import, so the bench values must be
in os.environ before django.setup(). The server comes from the caller's URLs (the Makefile's
test services); only the database name and the Redis db number change. BENCH_DATABASE and
BENCH_REDIS_DB name others, so that two runs on one machine do not drop each other's data.
"""

import os
import tempfile
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import redis
from psycopg import sql

BENCH_DATABASE = os.environ.get("BENCH_DATABASE", "therapy_bench")
BENCH_REDIS_DB = int(os.environ.get("BENCH_REDIS_DB", "14"))
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/therapy"
DEFAULT_BROKER_URL = "redis://127.0.0.1:6379/15"


def with_path(url: str, path: str) -> str:
    """`url` on the same server, with its path (database name or db number) replaced."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{path}", parts.query, parts.fragment))


def bench_urls() -> tuple[str, str]:
    database_url = with_path(os.environ.get("DATABASE_URL", DEFAULT_DATABASE_URL), BENCH_DATABASE)
    broker_url = with_path(os.environ.get("CELERY_BROKER_URL", DEFAULT_BROKER_URL), BENCH_REDIS_DB)
    if not database_url.startswith(("postgres://", "postgresql://")):
        raise SystemExit(f"The benchmarks need PostgreSQL, not {database_url}")
    if not broker_url.startswith("redis://"):
        raise SystemExit(f"The benchmarks need Redis, not {broker_url}")
    return database_url, broker_url


def recreate_database(database_url: str) -> None:
    """Drop and create the bench database, so every run starts from the same empty state."""
    maintenance = with_path(database_url, "postgres")
    name = urlsplit(database_url).path.lstrip("/")
    database = sql.Identifier(name)
    with psycopg.connect(maintenance, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(database))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(database))


def flush_redis(broker_url: str) -> None:
    redis.Redis.from_url(broker_url).flushdb()


def configure_environment(database_url: str, broker_url: str) -> Path:
    """Point this process's settings at the bench services; returns a scratch directory.

    Sends run in this process too (one, to count its queries), so mail goes to the scratch
    directory rather than the demo's var/mail. Tasks must really go through the broker.
    """
    scratch = Path(tempfile.mkdtemp(prefix="therapy-bench-"))
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "therapy.settings",
            "DATABASE_URL": database_url,
            "CELERY_BROKER_URL": broker_url,
            "CELERY_TASK_ALWAYS_EAGER": "false",
            "EMAIL_BACKEND": "therapy.mailfiles.MessageFileBackend",
            "EMAIL_FILE_PATH": str(scratch / "mail"),
            "LOG_LEVEL": "WARNING",
        }
    )
    return scratch


def prepare() -> Path:
    """Fresh database and Redis db, Django set up and migrated. Returns the scratch directory."""
    import django
    from django.core.management import call_command

    database_url, broker_url = bench_urls()
    recreate_database(database_url)
    flush_redis(broker_url)
    scratch = configure_environment(database_url, broker_url)
    django.setup()
    call_command("migrate", verbosity=0)
    return scratch


def raw_connection(**kwargs) -> psycopg.Connection:
    """A plain psycopg connection to the bench database, outside Django."""
    return psycopg.connect(os.environ["DATABASE_URL"], **kwargs)
