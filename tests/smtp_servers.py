"""Real SMTP servers on 127.0.0.1, built with aiosmtpd, so that tests count what reaches the
mail provider.

Plain SMTP has no idempotency: a message sent twice arrives twice. These servers therefore
never de-duplicate; the sink records every DATA transaction it accepts, in the order received.

- `Sink` accepts everything and records every message (Message-ID, envelope recipients, time,
  connection number), optionally a little slowly, and counts connections.
- `RefusingRecipients` answers RCPT with a refusal: 550 (permanent) unless told otherwise.
- `RefusingSender` answers MAIL FROM with 451 (transient).
- `FailingData` answers DATA with 451 (transient).
- `Stalling` answers EHLO and then never answers MAIL, so the client times out.

In this process, `with serving(Sink()) as server:` runs one in a thread (`server.port`,
`server.handler.received`). In a process of its own, for tests whose senders are other
processes: `python -m tests.smtp_servers --port N --record FILE [--delay SECONDS]` runs a sink
that appends one JSON line per message to FILE, flushed at once; `read_records(FILE)` reads them.
"""

import argparse
import asyncio
import contextlib
import email.parser
import email.policy
import itertools
import json
import signal
import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from aiosmtpd.controller import Controller

HOST = "127.0.0.1"
# The plain compat32 policy: the default policy builds rich header objects, which made the
# server itself the slowest part of a benchmark.
_HEADERS = email.parser.BytesHeaderParser(policy=email.policy.compat32)


@dataclass(frozen=True)
class Received:
    """One DATA transaction, as the server accepted it."""

    message_id: str
    recipients: list[str]
    subject: str
    at: float
    connection: int
    content: bytes = field(repr=False, default=b"")

    def as_json(self) -> str:
        return json.dumps(
            {
                "message_id": self.message_id,
                "recipients": self.recipients,
                "subject": self.subject,
                "at": self.at,
                "connection": self.connection,
            }
        )


class Sink:
    """Accepts every message and records each DATA transaction; never de-duplicates.

    A connection is counted when the client greets (EHLO or HELO): that leaves out the probe
    aiosmtpd's Controller opens on start-up to see the server answer.
    """

    def __init__(self, *, delay: float = 0.0, record: Path | None = None):
        self.delay = delay
        self.received: list[Received] = []
        self.connections = 0
        self._numbers = itertools.count(1)
        self._record = record.open("a", encoding="utf-8") if record else None

    def _greeted(self, session) -> None:
        if getattr(session, "connection", None) is None:
            session.connection = next(self._numbers)
            self.connections += 1

    async def handle_HELO(self, server, session, envelope, hostname):
        self._greeted(session)
        session.host_name = hostname
        return f"250 {server.hostname}"

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        self._greeted(session)
        session.host_name = hostname
        return responses

    async def handle_DATA(self, server, session, envelope):
        # The headers only: the body may be long, and it is not needed to count the message.
        head = envelope.original_content.split(b"\r\n\r\n", 1)[0]
        headers = _HEADERS.parsebytes(head)
        received = Received(
            message_id=str(headers.get("Message-ID", "")).strip(),
            recipients=[address.lower() for address in envelope.rcpt_tos],
            # Unfolded: a long header arrives split over lines (RFC 5322 folding).
            subject=str(headers.get("Subject", "")).replace("\r\n", "").replace("\n", ""),
            at=time.time(),
            connection=session.connection,
            content=envelope.original_content,
        )
        # Recorded as soon as the whole message is in, before the reply: a provider keeps a
        # message it has received even if the client dies before reading the "250".
        self.received.append(received)
        if self._record is not None:
            self._record.write(received.as_json() + "\n")
            self._record.flush()
        if self.delay:
            await asyncio.sleep(self.delay)
        return "250 2.0.0 OK: queued"

    def message_ids(self) -> list[str]:
        return [message.message_id for message in self.received]


class _FirstTimes:
    """Misbehave on the first `times` occasions (every time when None), then behave."""

    def __init__(self, times: int | None):
        self._left = times

    def now(self) -> bool:
        if self._left is None:
            return True
        if self._left > 0:
            self._left -= 1
            return True
        return False


class RefusingRecipients(Sink):
    """Refuses recipients at RCPT: 550 "no such user" (permanent) by default; pass a 4xx
    code for a temporary refusal such as greylisting."""

    def __init__(self, *, code: int = 550, **kwargs):
        super().__init__(**kwargs)
        self.code = code

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.code >= 500:
            return f"{self.code} 5.1.1 <{address}>: Recipient address rejected"
        return f"{self.code} 4.7.1 <{address}>: Greylisted, try again later"


class RefusingSender(Sink):
    """Answers MAIL FROM with 451: the server will not take mail just now (a rate limit)."""

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        return "451 4.7.1 Too many messages, slow down"


class FailingData(Sink):
    """Answers the end of DATA with 451 (a local error: try again later)."""

    def __init__(self, *, times: int | None = None, **kwargs):
        super().__init__(**kwargs)
        self._fail = _FirstTimes(times)

    async def handle_DATA(self, server, session, envelope):
        if self._fail.now():
            return "451 4.3.0 Requested action aborted: local error in processing"
        return await super().handle_DATA(server, session, envelope)


class Stalling(Sink):
    """Greets, then never answers MAIL FROM: the client waits until its timeout."""

    def __init__(self, *, times: int | None = None, **kwargs):
        super().__init__(**kwargs)
        self._stall = _FirstTimes(times)

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        if self._stall.now():
            # Cancelled when the client gives up and closes the connection.
            await asyncio.Event().wait()
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def serving(handler: Sink, *, port: int | None = None) -> Iterator[Controller]:
    """Run an SMTP server with `handler` in a thread of this process."""
    controller = Controller(handler, hostname=HOST, port=port or free_port())
    controller.start()
    try:
        yield controller
    finally:
        controller.stop()


def read_records(path: Path) -> list[dict]:
    """The messages a sink in another process recorded, in the order received. A last line
    still being written is left out."""
    if not path.exists():
        return []
    lines = path.read_text(encoding="utf-8").split("\n")
    return [json.loads(line) for line in lines[:-1] if line]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="A sink SMTP server recording every message.")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--record", type=Path, required=True, help="file to append JSON lines to")
    parser.add_argument(
        "--delay", type=float, default=0.0, help="seconds to wait before answering each DATA"
    )
    args = parser.parse_args(argv)
    # Blocked before the server's thread starts, so that only sigwait below receives them.
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM, signal.SIGINT})
    with serving(Sink(delay=args.delay, record=args.record), port=args.port):
        print(f"listening on {HOST}:{args.port}", flush=True)
        signal.sigwait({signal.SIGTERM, signal.SIGINT})


if __name__ == "__main__":
    main()
