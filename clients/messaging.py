"""How a message reaches a partner: e-mail, or a text message through the SMS backend.

Every outgoing message passes through here.
"""

import contextlib
import smtplib
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import EmailMessage, get_connection

from clients.delivery_errors import (
    OutcomeUnknownError,
    PermanentDeliveryError,
    TransientDeliveryError,
)
from clients.models import Partner
from clients.sms import sms_backend

__all__ = [
    "OutgoingMessage",
    "PermanentDeliveryError",
    "Providers",
    "TransientDeliveryError",
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


def _email(recipients: list[str], message: OutgoingMessage, connection) -> EmailMessage:
    headers = {"Message-ID": message_id(message.idempotency_key)}
    if message.unsubscribe_url:
        # One-click unsubscribe (RFC 8058): mail apps show an Unsubscribe button.
        headers["List-Unsubscribe"] = f"<{message.unsubscribe_url}>"
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    return EmailMessage(
        subject=message.subject,
        body=message.body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=recipients,
        headers=headers,
        connection=connection,
    )


class Providers:
    """Where a batch of messages goes out: one mail connection, opened at the first e-mail and
    reused for the rest of the batch, and one SMS backend. Use as a context manager.

    Delivery errors are sorted into permanent ones (the address is refused: trying again will
    not help) and transient ones (a later attempt may work).
    """

    def __init__(self):
        self._mail = None
        self._sms = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self._close_mail()

    def _close_mail(self):
        if self._mail is not None:
            with contextlib.suppress(smtplib.SMTPException, OSError):
                self._mail.close()
            self._mail = None

    def email(self, recipients: list[str], message: OutgoingMessage) -> str:
        """Send one e-mail and return its Message-ID."""
        if not recipients:
            raise PermanentDeliveryError("No e-mail address to send to.")
        if self._mail is None:
            self._mail = get_connection(fail_silently=False)
        try:
            self._mail.open()
        except (smtplib.SMTPException, OSError) as error:
            self._close_mail()
            raise TransientDeliveryError(f"Could not connect: {type(error).__name__}") from error
        try:
            self._mail.send_messages([_email(recipients, message, self._mail)])
        except smtplib.SMTPRecipientsRefused as error:
            # Only a 5xx refusal is final: a 4xx at RCPT (greylisting, a full mailbox, a rate
            # limit) asks us to come back later, so failing the row would lose the message.
            codes = sorted(code for code, _ in error.recipients.values())
            if codes[0] < 500:
                raise TransientDeliveryError(f"SMTP {codes[0]}") from error
            raise PermanentDeliveryError(type(error).__name__) from error
        except smtplib.SMTPResponseException as error:
            # Includes a refused sender (MAIL FROM), sorted by its code like the rest: a 4xx
            # there (421, 451) is temporary too.
            self._close_mail()
            permanent = 500 <= error.smtp_code < 600
            kind = PermanentDeliveryError if permanent else TransientDeliveryError
            raise kind(f"SMTP {error.smtp_code}") from error
        except (smtplib.SMTPServerDisconnected, TimeoutError) as error:
            # The server went quiet or away mid-message: it may have taken it. The next
            # message opens a new connection.
            self._close_mail()
            raise OutcomeUnknownError(type(error).__name__) from error
        except (smtplib.SMTPException, OSError) as error:
            self._close_mail()
            raise TransientDeliveryError(type(error).__name__) from error
        return message_id(message.idempotency_key)

    def text(self, phone: str, message: OutgoingMessage) -> str:
        """Send one text message and return the provider's id for it."""
        if self._sms is None:
            self._sms = sms_backend()
        text = f"{message.body.strip()}\nStop reminders: {message.unsubscribe_url}"
        return self._sms.send(phone, text, message.idempotency_key)

    def to_partner(self, partner: Partner, message: OutgoingMessage, *, channel: str) -> str:
        if channel == Partner.Channel.SMS:
            return self.text(partner.phone, message)
        return self.email([partner.email], message)
