import pytest

from tests.integration.processes import (
    WORKER,
    beat_command,
    flush_broker,
    process_env,
    running,
    wait_for,
)
from tests.smtp_servers import Sink, serving


@pytest.fixture
def smtp_sink():
    """A real SMTP server in a thread of the test process, recording every message it is
    sent: the child processes send to it through Django's SMTP backend."""
    with serving(Sink()) as server:
        yield server


@pytest.fixture
def celery_processes(transactional_db, live_server, smtp_sink, tmp_path):
    """A real Celery worker and beat on Redis and the test PostgreSQL database."""
    flush_broker()
    env = process_env(smtp_port=smtp_sink.port, site_url=live_server.url)
    worker_log, beat_log = tmp_path / "worker.log", tmp_path / "beat.log"
    beat_cmd = beat_command(tmp_path / "beat-schedule")
    with (
        running(WORKER, env=env, log=worker_log) as worker,
        running(beat_cmd, env=env, log=beat_log) as beat,
    ):
        wait_for(lambda: b"ready" in worker_log.read_bytes(), timeout=60, what="the worker")
        yield {"worker": worker, "beat": beat, "worker_log": worker_log, "beat_log": beat_log}
