"""What the SMS provider reports about a text after taking it: delivered, or not.

Twilio posts a report for each change of a message's status (clients/sms_views.py); the row
is the outbox row whose provider id is the report's Message SID. A report that arrives before
the batch that sent the message has recorded that SID (worksheets.outbox records a batch's
outcomes together, once its last send is done) finds no row and changes nothing.
"""

import datetime as dt

from clients.models import Partner
from worksheets.models import Reminder

Status = Reminder.Status
# Twilio's final statuses; the others (queued, sending, sent, ...) say no more than "sent".
_FINAL = {
    "delivered": Status.DELIVERED,
    "undelivered": Status.UNDELIVERED,
    "failed": Status.UNDELIVERED,
}


def record_sms_status(*, provider_id: str, status: str, error_code: str, now: dt.datetime) -> bool:
    """Record the provider's report on the text `provider_id`: "delivered", or "undelivered"
    or "failed" with the provider's error code (never the message). `delivered_at` is when
    the report came, delivered or not. Returns whether the row changed.

    Only a row still "sent" moves, and only to a final status, so a report repeated or late (a
    "sent" after "delivered", or a report on a message since put back to be sent again)
    changes nothing. One conditional UPDATE: two reports at once cannot both apply.
    """
    new_status = _FINAL.get(status)
    if new_status is None or not provider_id:
        return False
    changes = {"status": new_status, "delivered_at": now}
    if new_status == Status.UNDELIVERED:
        changes["last_error"] = undelivered_reason(error_code)
    rows = Reminder.objects.filter(
        provider_id=provider_id, channel=Partner.Channel.SMS, status=Status.SENT
    )
    return bool(rows.update(**changes))


def undelivered_reason(error_code: str) -> str:
    # Only digits are kept: the code is all the reason Twilio gives that may be stored.
    code = "".join(c for c in error_code if c.isdigit())[:10]
    return f"Not delivered (Twilio error {code})" if code else "Not delivered"
