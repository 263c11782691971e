"""How long records are kept once a couple's work is over.

A couple closed for longer than RECORDS_RETENTION_DAYS is erased by the same rule as an erasure
a counselor asks for (clients/partner_rights.py), recorded as done by the retention rule.
Access-log and change-history rows older than the period go too, for every couple. The
erasure records themselves stay: they hold ids, not personal data, and show the rule was kept.
The API's idempotency keys go once their day is over (therapy/idempotency.py). A beat task
runs this daily (therapy/tasks.py).
"""

import datetime as dt
import logging
from dataclasses import dataclass

from django.conf import settings

from clients.models import Couple, Partner
from clients.partner_rights import erase_couple
from therapy.idempotency import purge_expired
from therapy.models import AccessLog, Alert, CounselingSession, CounselorNote
from worksheets.models import Assignment, WorksheetTemplate

logger = logging.getLogger(__name__)
REASON = "Retention period ended"
_TRACKED = (Couple, Partner, Assignment, CounselingSession, CounselorNote, Alert, WorksheetTemplate)


@dataclass(frozen=True)
class RetentionResult:
    couples_erased: int
    access_log_rows: int
    history_rows: int
    idempotency_keys: int = 0


def apply_retention(*, now: dt.datetime) -> RetentionResult:
    cutoff = now - dt.timedelta(days=settings.RECORDS_RETENTION_DAYS)
    expired = Couple.objects.filter(status=Couple.Status.CLOSED, closed_at__lt=cutoff)
    couples = 0
    for couple in expired.iterator():
        erase_couple(couple, by=None, reason=REASON, now=now)
        couples += 1
    access_rows, _ = AccessLog.objects.filter(at__lt=cutoff).delete()
    history_rows = sum(
        model.history.filter(history_date__lt=cutoff).delete()[0] for model in _TRACKED
    )
    keys = purge_expired(now=now)
    result = RetentionResult(couples, access_rows, history_rows, keys)
    logger.info(
        "Retention: %s couple(s) erased, %s access-log and %s history row(s) and %s "
        "idempotency key(s) removed",
        couples,
        access_rows,
        history_rows,
        keys,
    )
    return result
