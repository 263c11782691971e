"""Reading the messages the worker wrote with the file e-mail backend."""

import re
from pathlib import Path

from therapy.mail_folder import OutboxMessage, read_message

LINK = re.compile(r"https?://\S+/p/[\w-]+/")


def messages_in(directory: Path) -> list[OutboxMessage]:
    return [read_message(path) for path in sorted(directory.glob("*.eml"))]


def messages_to(directory: Path, address: str) -> list[OutboxMessage]:
    return [message for message in messages_in(directory) if address.lower() in message.recipients]


def personal_link(message: OutboxMessage) -> str:
    return LINK.search(message.body).group(0)
