"""Text messages. No SMS provider is wired in yet; backends share one small interface.

A backend is a class with `send(to: str, body: str, idempotency_key: str) -> str` that
returns the provider's message id, raises `TransientDeliveryError` when a later try may work
and `PermanentDeliveryError` when it will not. Choose one with the `SMS_BACKEND` setting.
"""

import json
from pathlib import Path

from django.conf import settings
from django.utils import timezone
from django.utils.module_loading import import_string

from clients.delivery_errors import PermanentDeliveryError


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


def sms_backend():
    return import_string(settings.SMS_BACKEND)()
