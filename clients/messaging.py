"""How a message reaches a partner: e-mail, or a text message through the SMS backend; and
how a webhook reaches a practice's other systems: an HTTP POST.

Every outgoing message passes through here.
"""

import contextlib
import smtplib
from dataclasses import dataclass

import requests
from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import NewConnectionError

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
    "ReceiverGoneError",
    "TransientDeliveryError",
    "WebhookRefusedError",
    "WebhookRetryError",
]


class WebhookRefusedError(PermanentDeliveryError):
    """The receiver refused the webhook (a 4xx, a redirect) or may not be posted to."""

    def __init__(self, message: str, *, response_code: int | None = None):
        super().__init__(message)
        self.response_code = response_code


class ReceiverGoneError(WebhookRefusedError):
    """410 Gone: the receiver asks for no more webhooks."""

    code = 410


class WebhookRetryError(TransientDeliveryError):
    """A 5xx, a timeout or a connection error: a later attempt may get through."""

    def __init__(self, message: str, *, response_code: int | None = None):
        super().__init__(message)
        self.response_code = response_code


# How much of a receiver's answer is read, so that its connection can serve the next POST; a
# longer answer is cut off with its connection.
_ANSWER_READ_LIMIT = 64 * 1024


def _refused_peer(error: requests.RequestException) -> bool:
    """Whether the connection was refused by _PublicPeerOnly (urllib3 gives the cause as the
    `reason` of the error that requests wraps)."""
    wrapped = error.args[0] if error.args else None
    return isinstance(getattr(wrapped, "reason", None), PrivatePeerError)


def _drain(answer: requests.Response) -> None:
    read = 0
    with contextlib.suppress(requests.RequestException):
        for chunk in answer.iter_content(chunk_size=8192):
            read += len(chunk)
            if read > _ANSWER_READ_LIMIT:
                break
    answer.close()


class PrivatePeerError(NewConnectionError):
    """The connection reached an address a webhook may not go to."""


class _PublicPeerOnly:
    """Refuses a connection that reached an address a webhook may not go to. The address was
    checked when the name was resolved for the subscription and before the POST, but a name
    can be pointed elsewhere in between: this checks where the socket really went, before a
    byte is sent."""

    def _new_conn(self):
        # Imported here: therapy's modules read worksheets, which send through this module.
        from therapy.webhooks import address_refused

        sock = super()._new_conn()
        if address_refused(sock.getpeername()[0]):
            sock.close()
            raise PrivatePeerError(self, "The receiver's name led to a private address.")
        return sock


class _PublicHTTPConnection(_PublicPeerOnly, HTTPConnection):
    pass


class _PublicHTTPSConnection(_PublicPeerOnly, HTTPSConnection):
    pass


class _PublicHTTPPool(HTTPConnectionPool):
    ConnectionCls = _PublicHTTPConnection


class _PublicHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _PublicHTTPSConnection


class _WebhookAdapter(HTTPAdapter):
    def init_poolmanager(self, *args, **kwargs):
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {
            "http": _PublicHTTPPool,
            "https": _PublicHTTPSPool,
        }


def _webhook_session() -> requests.Session:
    session = requests.Session()
    session.mount("http://", _WebhookAdapter())
    session.mount("https://", _WebhookAdapter())
    return session


@dataclass(frozen=True)
class OutgoingWebhook:
    url: str
    headers: dict
    body: bytes


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
    reused for the rest of the batch, one SMS backend, and one HTTP connection pool for
    webhooks. Use as a context manager.

    Delivery errors are sorted into permanent ones (the address is refused: trying again will
    not help) and transient ones (a later attempt may work).
    """

    def __init__(self):
        self._mail = None
        self._sms = None
        self._http = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self._close_mail()
        if self._http is not None:
            self._http.close()
            self._http = None

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

    def webhook(self, webhook: OutgoingWebhook) -> int:
        """POST one signed webhook and return the receiver's status code (2xx). One
        connection pool serves the batch: a receiver's connection is kept for its next
        webhook. Redirects are not followed: a receiver must be posted to where it was
        registered."""
        # Imported here: therapy's modules read worksheets, which send through this module.
        from therapy.webhooks import url_problem

        if problem := url_problem(webhook.url):
            raise WebhookRefusedError(f"Not sent: {problem}")
        if self._http is None:
            self._http = _webhook_session()
        timeout = settings.WEBHOOK_TIMEOUT
        try:
            answer = self._http.post(
                webhook.url,
                data=webhook.body,
                headers=webhook.headers,
                timeout=(timeout, timeout),
                allow_redirects=False,
                # Only the status is read: a receiver's long answer is not waited for.
                stream=True,
            )
        except requests.Timeout as error:
            raise WebhookRetryError("The receiver did not answer in time.") from error
        except requests.RequestException as error:
            if _refused_peer(error):
                raise WebhookRefusedError(
                    "Not sent: the address led to a private network."
                ) from error
            raise WebhookRetryError(f"Could not connect: {type(error).__name__}") from error
        code = answer.status_code
        _drain(answer)
        if 200 <= code < 300:
            return code
        if code == ReceiverGoneError.code:
            raise ReceiverGoneError("HTTP 410: the receiver is gone", response_code=code)
        if code >= 500:
            raise WebhookRetryError(f"HTTP {code}", response_code=code)
        raise WebhookRefusedError(f"HTTP {code}", response_code=code)
