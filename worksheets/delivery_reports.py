"""What the SMS provider reports about a text after taking it: delivered, or not.

Twilio posts a report for each change of a message's status (clients/sms_views.py); the row
is the outbox row whose provider id is the report's Message SID.

A report can come before the batch that sent the message has recorded that SID: the batch
records its outcomes together, once its last send is done (worksheets.outbox). Such a report
finds its row by the `row` key the message's callback address carries, still "sending", and
settles it there: the batch's own record then passes over it, since it only moves rows still
"sending".
"""

import datetime as dt

from clients.models import Partner
from worksheets.models import Reminder
from worksheets.outbox import row_named_by

Status = Reminder.Status
# Twilio's final statuses; the others (queued, sending, sent, ...) say no more than "sent".
_FINAL = {
    "delivered": Status.DELIVERED,
    "undelivered": Status.UNDELIVERED,
    "failed": Status.UNDELIVERED,
}


def record_sms_status(
    *, provider_id: str, status: str, error_code: str, row_key: str = "", now: dt.datetime
) -> bool:
    """Record the provider's report on the text `provider_id`: "delivered", or "undelivered"
    or "failed" with the provider's error code (never the message). `delivered_at` is when
    the report came, delivered or not. Returns whether the row changed.

    Only a row still "sent" moves, and only to a final status, so a report repeated or late (a
    "sent" after "delivered", or a report on a message since put back to be sent again)
    changes nothing. One conditional UPDATE: two reports at once cannot both apply.

    `row_key` is the outbox row's key the report's address carries (Twilio signed it with
    the rest): it finds a row whose send is not yet recorded.
    """
    new_status = _FINAL.get(status)
    if new_status is None or not provider_id:
        return False
    changes = {"status": new_status, "delivered_at": now}
    if new_status == Status.UNDELIVERED:
        changes["last_error"] = undelivered_reason(error_code)
    texts = Reminder.objects.filter(channel=Partner.Channel.SMS)
    if texts.filter(provider_id=provider_id, status=Status.SENT).update(**changes):
        return True
    row_id = row_named_by(row_key)
    if row_id is None:
        return False
    unrecorded = texts.filter(pk=row_id, status=Status.SENDING)
    return bool(
        unrecorded.update(**changes, provider_id=provider_id, sent_at=now, lease_until=None)
    )


def undelivered_reason(error_code: str) -> str:
    # Only digits are kept: the code is all the reason Twilio gives that may be stored.
    code = "".join(c for c in error_code if c.isdigit())[:10]
    return f"Not delivered (Twilio error {code})" if code else "Not delivered"
