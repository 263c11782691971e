"""A local HTTP server standing for a practice's system that receives webhooks.

Each POST is verified as a receiver would verify it, with the independent `standardwebhooks`
library and the subscription's secret, and recorded: its headers, its body, whether the
signature held and when it came. It answers each request with the next status of its script
(then 200), or stalls past the client's timeout first.
"""

import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks.webhooks import Webhook, WebhookVerificationError


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    signature_valid: bool
    received_at: float  # seconds since the epoch
    client_port: int  # tells the connections it came over apart

    @property
    def webhook_id(self) -> str:
        return self.headers["webhook-id"]

    @property
    def timestamp(self) -> int:
        return int(self.headers["webhook-timestamp"])


@dataclass
class Receiver:
    # URL path -> the secret its subscription signs with.
    secrets: dict[str, str] = field(default_factory=dict)
    # Statuses to answer with, in order; "stall" sleeps `stall_seconds` first, then answers 200.
    script: list = field(default_factory=list)
    stall_seconds: float = 3.0
    received: list[Received] = field(default_factory=list)

    def __post_init__(self):
        self._lock = threading.Lock()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    def start(self) -> "Receiver":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def url(self, path: str = "/hooks") -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}{path}"

    def verify(self, path: str, headers: dict, body: bytes) -> bool:
        try:
            Webhook(self.secrets[path]).verify(body, headers)
        except (WebhookVerificationError, KeyError):
            return False
        return True

    def next_answer(self):
        with self._lock:
            return self.script.pop(0) if self.script else 200

    def bodies(self) -> list[str]:
        return [r.body.decode() for r in self.received]


def _handler_for(receiver: Receiver):
    class Handler(BaseHTTPRequestHandler):
        # Keeps the connection open for the client's next request, as receivers do.
        protocol_version = "HTTP/1.1"

        def do_POST(self):
            length = int(self.headers.get("Content-Length", 0))
            body = self.rfile.read(length)
            headers = {k.lower(): v for k, v in self.headers.items()}
            answer = receiver.next_answer()
            with receiver._lock:
                receiver.received.append(
                    Received(
                        path=self.path,
                        headers=headers,
                        body=body,
                        signature_valid=receiver.verify(self.path, headers, body),
                        received_at=time.time(),
                        client_port=self.client_address[1],
                    )
                )
            if answer == "stall":
                time.sleep(receiver.stall_seconds)
                answer = 200
            try:
                self.send_response(answer)
                self.send_header("Content-Length", "0")
                self.end_headers()
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up waiting, as it should

        def log_message(self, *args):
            pass

    return Handler
