"""Reading the messages a test's SMTP sink received (tests/smtp_servers.py), every one of them:
a message sent twice is here twice."""

import email
import email.policy
import re
from dataclasses import dataclass

from tests.smtp_servers import Received

LINK = re.compile(r"https?://\S+/p/[\w-]+/")


@dataclass(frozen=True)
class Mail:
    message_id: str
    recipients: list[str]
    subject: str
    body: str


def _read(received: Received) -> Mail:
    parsed = email.message_from_bytes(received.content, policy=email.policy.default)
    return Mail(
        message_id=received.message_id,
        recipients=received.recipients,
        subject=received.subject,
        body=parsed.get_body(preferencelist=("plain",)).get_content(),
    )


def messages_in(server) -> list[Mail]:
    """Everything the server (a running `serving(Sink())`) accepted, in the order received."""
    return [_read(received) for received in list(server.handler.received)]


def messages_to(server, address: str) -> list[Mail]:
    return [message for message in messages_in(server) if address.lower() in message.recipients]


def personal_link(message: Mail) -> str:
    return LINK.search(message.body).group(0)
