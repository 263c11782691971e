"""An e-mail backend that writes each message to its own file, for development and demos.

Django's file backend appends a whole connection's messages to one log file; one `.eml` file
per message is easier to read back (the admin's outbox page lists them) and to test against.
Like a provider that honours idempotency keys, it writes a message with a Message-ID it has
already written only once.
"""

import hashlib
import uuid
from pathlib import Path

from django.conf import settings
from django.core.mail.backends.base import BaseEmailBackend
from django.utils import timezone


class MessageFileBackend(BaseEmailBackend):
    def __init__(self, *args, file_path=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.directory = Path(file_path or settings.EMAIL_FILE_PATH)

    def send_messages(self, email_messages):
        self.directory.mkdir(parents=True, exist_ok=True)
        (self.directory / ".ids").mkdir(exist_ok=True)
        for message in email_messages:
            if self._seen_before(message):
                continue
            stamp = timezone.now().strftime("%Y%m%dT%H%M%S%f")
            name = f"{stamp}-{uuid.uuid4().hex[:8]}.eml"
            temporary = self.directory / f".{name}.tmp"
            temporary.write_bytes(message.message().as_bytes())
            # A rename is atomic, so a reader never sees half a message.
            temporary.rename(self.directory / name)
        return len(email_messages)

    def _seen_before(self, message) -> bool:
        """Like a provider honouring idempotency keys: one Message-ID is delivered once."""
        key = message.extra_headers.get("Message-ID")
        if not key:
            return False
        marker = self.directory / ".ids" / hashlib.sha256(key.encode()).hexdigest()
        try:
            marker.open("x").close()
        except FileExistsError:
            return True
        return False
