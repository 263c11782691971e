"""No task is scheduled more than a minute ahead: with a Redis broker, such tasks come back
after the visibility timeout and are run twice. Task arguments are ids, never client text."""

import ast
import datetime as dt
from pathlib import Path

from celery.signals import before_task_publish
from django.utils import timezone

from worksheets.assignments import assign_worksheet
from worksheets.tasks import sweep_due_reminders

ROOT = Path(__file__).resolve().parents[2]
LIMIT_SECONDS = 60


def project_sources():
    for app in ("therapy", "clients", "worksheets"):
        yield from (ROOT / app).rglob("*.py")


def test_no_code_passes_a_long_countdown_or_any_eta():
    offenders = []
    for path in project_sources():
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.Call):
                continue
            for keyword in node.keywords:
                if keyword.arg == "eta":
                    offenders.append(f"{path.name}:{node.lineno} passes eta")
                if keyword.arg == "countdown":
                    value = keyword.value
                    if not (isinstance(value, ast.Constant) and value.value <= LIMIT_SECONDS):
                        offenders.append(
                            f"{path.name}:{node.lineno} countdown {ast.unparse(value)}"
                        )
    assert offenders == []


def test_published_messages_carry_no_eta_and_only_ids(transactional_db, couple, checkin, maya):
    published = []

    def record(sender=None, headers=None, body=None, **kwargs):
        published.append((sender, headers, body))

    # No quiet hours, so the invitations are due whatever the hour the test runs at.
    couple.partners.update(quiet_hours_start=dt.time(0), quiet_hours_end=dt.time(0))
    before_task_publish.connect(record)
    try:
        now = timezone.now()
        assign_worksheet(
            couple=couple,
            template=checkin,
            due_at=now + dt.timedelta(days=3),
            assigned_by=maya,
            now=now,
        )  # publishes a sweep after commit
        sweep_due_reminders()  # publishes the sends
    finally:
        before_task_publish.disconnect(record)
    names = {sender for sender, _, _ in published}
    assert names == {"worksheets.tasks.sweep_due_reminders", "worksheets.tasks.send_reminders"}
    for _, headers, body in published:
        assert headers.get("eta") is None and headers.get("countdown") is None
        args = body[0]
        assert all(isinstance(arg, list) and all(isinstance(i, int) for i in arg) for arg in args)
