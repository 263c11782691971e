"""Text messages: through Twilio, or written to files for the demo.

A backend is a class with `send(to: str, body: str, idempotency_key: str) -> str` that
returns the provider's message id, raises `TransientDeliveryError` when a later try may work
and `PermanentDeliveryError` when it will not. Choose one with the `SMS_BACKEND` setting.
Neither error's text repeats the number or the message: it is written on the outbox row and
shown to counselors.
"""

import json
from pathlib import Path
from urllib.parse import urlencode

import requests
from django.conf import settings
from django.utils import timezone
from django.utils.module_loading import import_string
from twilio.base.exceptions import TwilioRestException, TwilioServiceException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from clients.delivery_errors import (
    OutcomeUnknownError,
    PermanentDeliveryError,
    TransientDeliveryError,
)


class FileSmsBackend:
    """Writes each text message as a JSON file, for development, demos and tests.

    Like a provider that honours idempotency keys, a second message with the same key is
    not written again.
    """

    def __init__(self, directory: Path | None = None):
        self.directory = Path(directory or settings.SMS_FILE_PATH)

    def send(self, to: str, body: str, idempotency_key: str) -> str:
        if not to:
            raise PermanentDeliveryError("The partner has no phone number.")
        self.directory.mkdir(parents=True, exist_ok=True)
        path = self.directory / f"{idempotency_key}.json"
        record = {"to": to, "body": body, "at": timezone.now().isoformat()}
        try:
            with path.open("x", encoding="utf-8") as output:
                json.dump(record, output)
        except FileExistsError:
            pass
        return idempotency_key


# Twilio's codes for a recipient that will not take the message, with a plain reason.
RECIPIENT_REFUSED = {
    21211: "not a valid phone number",
    21610: "the recipient texted STOP to our number",
    21612: "Twilio cannot reach this number",
    21614: "not a mobile number",
}


class TwilioSmsBackend:
    """Sends each text through Twilio's Messages API, with Twilio's own client library.

    Twilio's Messages API takes no idempotency key: if Twilio accepted a message but its answer
    never reached us (a timeout), the retry sends it again. The row's key goes along only as
    a harmless `row` parameter of the status callback address, so that Twilio's logs name the
    outbox row. The Message SID Twilio returns is the row's provider id, which delivery reports
    name (worksheets/delivery_reports.py).
    """

    def __init__(self):
        # Without a timeout the client would wait for ever; one slow send must end well
        # inside the batch's time limit (settings.OUTBOX_SENDING_LEASE).
        http_client = TwilioHttpClient(timeout=settings.TWILIO_TIMEOUT_SECONDS)
        self.client = Client(
            settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN, http_client=http_client
        )
        if settings.TWILIO_API_BASE_URL:
            self.client.api.base_url = settings.TWILIO_API_BASE_URL

    def send(self, to: str, body: str, idempotency_key: str) -> str:
        if not to:
            raise PermanentDeliveryError("The partner has no phone number.")
        try:
            message = self.client.messages.create(
                to=to, body=body, **_sender_and_callback(idempotency_key)
            )
        except (TwilioRestException, TwilioServiceException) as error:
            # Not chained: Twilio's own message can repeat the number.
            raise delivery_error(error.status, error.code) from None
        except requests.ConnectTimeout:
            raise TransientDeliveryError("Could not reach Twilio in time") from None
        except requests.Timeout:
            # The request went out; Twilio may have taken the message before it stopped
            # answering.
            raise OutcomeUnknownError("Twilio did not answer in time") from None
        except requests.ConnectionError:
            raise TransientDeliveryError("Could not connect to Twilio") from None
        except requests.RequestException as error:
            raise TransientDeliveryError(
                f"Twilio request failed ({type(error).__name__})"
            ) from None
        return message.sid or ""


def _sender_and_callback(idempotency_key: str) -> dict[str, str]:
    if settings.TWILIO_MESSAGING_SERVICE_SID:
        options = {"messaging_service_sid": settings.TWILIO_MESSAGING_SERVICE_SID}
    else:
        options = {"from_": settings.TWILIO_FROM_NUMBER}
    callback = settings.TWILIO_STATUS_CALLBACK_URL
    if callback:
        separator = "&" if "?" in callback else "?"
        options["status_callback"] = f"{callback}{separator}{urlencode({'row': idempotency_key})}"
    return options


def delivery_error(status: int, code: int | None) -> Exception:
    """Twilio's refusal as one of ours, by its HTTP status and Twilio error code."""
    if status == 429 or status >= 500:
        return TransientDeliveryError(f"Twilio could not take the message now (HTTP {status})")
    if status in {401, 403, 404}:
        # Our credentials or account, not this message: a later try works once they are mended.
        return TransientDeliveryError(
            f"Twilio refused our account settings (HTTP {status}, error {code})"
        )
    # Any other refusal (400) is of this message: sending it again will not help.
    reason = RECIPIENT_REFUSED.get(code)
    if reason:
        return PermanentDeliveryError(f"Twilio refused the number: {reason} (error {code})")
    return PermanentDeliveryError(f"Twilio refused the message (HTTP {status}, error {code})")


def sms_backend():
    return import_string(settings.SMS_BACKEND)()
