"""How a message reaches a partner. E-mail today; every outgoing message passes through here."""

import smtplib
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import EmailMessage, get_connection

from clients.models import Partner


class PermanentDeliveryError(Exception):
    """Trying again will not help (the address is refused, the message is malformed)."""


class TransientDeliveryError(Exception):
    """The provider could not take the message now; a later attempt may succeed."""


@dataclass(frozen=True)
class OutgoingMessage:
    subject: str
    body: str
    # Stable per outbox row, so a provider that de-duplicates can drop a repeated send.
    idempotency_key: str


def message_id(idempotency_key: str) -> str:
    domain = settings.DEFAULT_FROM_EMAIL.rsplit("@", 1)[-1].strip(">") or "localhost"
    return f"<{idempotency_key}@{domain}>"


def send_to_partner(partner: Partner, message: OutgoingMessage) -> str:
    """Deliver `message` to `partner` and return the provider's id for it."""
    mail_id = message_id(message.idempotency_key)
    email = EmailMessage(
        subject=message.subject,
        body=message.body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[partner.email],
        headers={"Message-ID": mail_id},
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
