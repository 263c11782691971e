"""Reading back the messages the file e-mail backend wrote, for the admin's outbox page."""

import email
import email.policy
import re
from dataclasses import dataclass
from datetime import datetime
from email.utils import getaddresses, parsedate_to_datetime
from pathlib import Path

from django.conf import settings

_LINK = re.compile(r"https?://\S+")


@dataclass(frozen=True)
class OutboxMessage:
    name: str
    recipients: list[str]
    subject: str
    sent_at: datetime | None
    body: str

    @property
    def links(self) -> list[str]:
        return _LINK.findall(self.body)


def uses_file_outbox() -> bool:
    return settings.EMAIL_BACKEND == "therapy.mailfiles.MessageFileBackend"


def read_message(path: Path) -> OutboxMessage:
    parsed = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    body_part = parsed.get_body(preferencelist=("plain",))
    date = parsed.get("Date")
    return OutboxMessage(
        name=path.name,
        recipients=[address.lower() for _, address in getaddresses(parsed.get_all("To", []))],
        subject=str(parsed.get("Subject", "")),
        sent_at=parsedate_to_datetime(date) if date else None,
        body=body_part.get_content() if body_part else "",
    )


def recent_messages(
    *, allowed_recipients: set[str] | None, limit: int = 100
) -> list[OutboxMessage]:
    """Newest first; only messages to `allowed_recipients` unless it is None (operators)."""
    directory = Path(settings.EMAIL_FILE_PATH)
    if not directory.is_dir():
        return []
    messages = []
    for path in sorted(directory.glob("*.eml"), key=lambda p: p.name, reverse=True):
        message = read_message(path)
        if allowed_recipients is None or set(message.recipients) & allowed_recipients:
            messages.append(message)
        if len(messages) >= limit:
            break
    return messages
