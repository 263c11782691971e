"""Reading back the messages the file e-mail backend wrote, for the admin's outbox page."""

import email
import email.policy
import re
from dataclasses import dataclass
from datetime import datetime
from email.utils import getaddresses, parsedate_to_datetime
from pathlib import Path

from django.conf import settings

from worksheets.outbox import row_named_by

_LINK = re.compile(r"https?://\S+")


@dataclass(frozen=True)
class OutboxMessage:
    name: str
    recipients: list[str]
    subject: str
    sent_at: datetime | None
    body: str
    outbox_row: int | None  # the outbox row its Message-ID names


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
        outbox_row=_outbox_row(str(parsed.get("Message-ID", ""))),
    )


def _outbox_row(message_id: str) -> int | None:
    key, _, _ = message_id.strip().removeprefix("<").partition("@")
    return row_named_by(key)


def recent_messages(*, limit: int = 500) -> list[OutboxMessage]:
    """The newest messages in the folder, newest first, whoever they went to."""
    directory = Path(settings.EMAIL_FILE_PATH)
    if not directory.is_dir():
        return []
    newest = sorted(directory.glob("*.eml"), key=lambda p: p.name, reverse=True)[:limit]
    return [read_message(path) for path in newest]
