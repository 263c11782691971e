"""How a message reaches a partner: e-mail, or a text message through the SMS backend.

Every outgoing message passes through here.
"""

import smtplib
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import EmailMessage, get_connection

from clients.delivery_errors import PermanentDeliveryError, TransientDeliveryError
from clients.models import Partner
from clients.sms import sms_backend

__all__ = [
    "OutgoingMessage",
    "PermanentDeliveryError",
    "TransientDeliveryError",
    "send_email",
    "send_to_partner",
]


@dataclass(frozen=True)
class OutgoingMessage:
    subject: str
    body: str
    # Stable per outbox row, so a provider that de-duplicates can drop a repeated send.
    idempotency_key: str
    # Messages to partners carry one; staff notices have none.
    unsubscribe_url: str = ""


def message_id(idempotency_key: str) -> str:
    domain = settings.DEFAULT_FROM_EMAIL.rsplit("@", 1)[-1].strip(">") or "localhost"
    return f"<{idempotency_key}@{domain}>"


def send_email(recipients: list[str], message: OutgoingMessage) -> str:
    """Send one e-mail and return its Message-ID; delivery errors are sorted into permanent
    and transient ones."""
    mail_id = message_id(message.idempotency_key)
    headers = {"Message-ID": mail_id}
    if message.unsubscribe_url:
        # One-click unsubscribe (RFC 8058): mail apps show an Unsubscribe button.
        headers["List-Unsubscribe"] = f"<{message.unsubscribe_url}>"
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    if not recipients:
        raise PermanentDeliveryError("No e-mail address to send to.")
    email = EmailMessage(
        subject=message.subject,
        body=message.body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=recipients,
        headers=headers,
    )
    try:
        get_connection(fail_silently=False).send_messages([email])
    except (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused) as error:
        raise PermanentDeliveryError(type(error).__name__) from error
    except smtplib.SMTPResponseException as error:
        kind = PermanentDeliveryError if 500 <= error.smtp_code < 600 else TransientDeliveryError
        raise kind(f"SMTP {error.smtp_code}") from error
    except (smtplib.SMTPException, OSError) as error:
        raise TransientDeliveryError(type(error).__name__) from error
    return mail_id


def send_to_partner(partner: Partner, message: OutgoingMessage, *, channel: str) -> str:
    """Deliver `message` to `partner` on `channel` and return the provider's id for it."""
    if channel == Partner.Channel.SMS:
        text = f"{message.body.strip()}\nStop reminders: {message.unsubscribe_url}"
        return sms_backend().send(partner.phone, text, message.idempotency_key)
    return send_email([partner.email], message)
