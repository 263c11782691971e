"""A local HTTP server that speaks the part of Twilio's REST API the SMS backend uses, and the
webhooks Twilio posts back.

`POST /2010-04-01/Accounts/{AccountSid}/Messages.json` is answered as Twilio answers it: HTTP
basic auth with the account SID and auth token (401 and error 20003 otherwise), form-encoded
To, From or MessagingServiceSid, Body and StatusCallback, then 201 with the message resource as
JSON, or Twilio's error JSON. Every request that reaches it is recorded, so tests count what
reached the provider. It can be told to refuse (400 with a Twilio error code), to be busy
(429), to fail (500) or to stall past the client's timeout.

The webhooks are built as Twilio builds them, signed with Twilio's own RequestValidator.
"""

import base64
import json
import secrets
import threading
from dataclasses import dataclass, field
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlencode, urlsplit

from twilio.request_validator import RequestValidator

ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
AUTH_TOKEN = "fedcba9876543210" * 2
FROM_NUMBER = "+12015550100"

# Twilio's messages for the errors the server gives (https://www.twilio.com/docs/api/errors).
# As Twilio's do, some repeat the number.
ERRORS = {
    20003: "Authenticate",
    20404: "The requested resource {path} was not found",
    20429: "Too Many Requests",
    20500: "An internal server error has occurred",
    21211: "The 'To' number {to} is not a valid phone number.",
    21602: "Message body is required.",
    21603: "A 'From' phone number is required.",
    21604: "A 'To' phone number is required.",
    21610: "Attempt to send to unsubscribed recipient {to}",
    21614: "'To' number {to} is not a valid mobile number",
}
_CODE_FOR_STATUS = {401: 20003, 404: 20404, 429: 20429, 500: 20500}


@dataclass
class Received:
    """One request as the server received it."""

    method: str
    path: str
    auth: tuple[str, str] | None
    form: dict[str, str]
    headers: dict[str, str]
    sid: str = ""  # the Message SID given back, if a message was created


@dataclass
class Behaviour:
    status: int = 201  # or the error status to answer with
    code: int | None = None  # Twilio's error code, for a 400
    stall: bool = False


@dataclass
class TwilioServer:
    account_sid: str = ACCOUNT_SID
    auth_token: str = AUTH_TOKEN
    requests: list[Received] = field(default_factory=list)
    behaviour: Behaviour = field(default_factory=Behaviour)
    # Called with each message it takes, before it answers: as Twilio may report on a message
    # before our request for it has had its answer.
    on_message: object = None

    def __post_init__(self):
        self._lock = threading.Lock()
        self._release = threading.Event()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> "TwilioServer":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._release.set()  # let stalled answers go
        self._httpd.shutdown()
        self._httpd.server_close()

    # --- What the server does next ---

    def succeed(self) -> None:
        self.behaviour = Behaviour()

    def refuse(self, code: int) -> None:
        """Answer 400 with Twilio's error `code`, as for a number Twilio will not send to."""
        self.behaviour = Behaviour(status=400, code=code)

    def fail(self, status: int) -> None:
        """Answer `status` (429, 500, ...) with Twilio's error JSON."""
        self.behaviour = Behaviour(status=status, code=_CODE_FOR_STATUS.get(status, status))

    def stall(self) -> None:
        """Take the message, then answer only after the test ends: past any client timeout."""
        self.behaviour = Behaviour(stall=True)

    # --- Reading what reached it ---

    def messages(self) -> list[Received]:
        with self._lock:
            return [r for r in self.requests if r.path.endswith("/Messages.json")]

    def _record(self, received: Received) -> None:
        with self._lock:
            self.requests.append(received)

    # --- Answering ---

    def answer(self, received: Received) -> tuple[int, dict]:
        expected = f"/2010-04-01/Accounts/{self.account_sid}/Messages.json"
        if received.auth != (self.account_sid, self.auth_token):
            return _error(401, 20003)
        if received.method != "POST" or received.path != expected:
            return _error(404, 20404, path=received.path)
        form = received.form
        if not form.get("To"):
            return _error(400, 21604)
        if not form.get("From") and not form.get("MessagingServiceSid"):
            return _error(400, 21603)
        if not form.get("Body"):
            return _error(400, 21602)
        behaviour = self.behaviour
        if behaviour.stall:
            self._release.wait(timeout=30)
        elif behaviour.status != 201:
            return _error(behaviour.status, behaviour.code, to=form["To"])
        received.sid = "SM" + secrets.token_hex(16)
        if self.on_message is not None:
            self.on_message(received)
        return 201, self._message(received)

    def _message(self, received: Received) -> dict:
        form, sid, now = received.form, received.sid, formatdate(usegmt=True)
        uri = f"/2010-04-01/Accounts/{self.account_sid}/Messages/{sid}"
        return {
            "account_sid": self.account_sid,
            "api_version": "2010-04-01",
            "body": form["Body"],
            "date_created": now,
            "date_sent": None,
            "date_updated": now,
            "direction": "outbound-api",
            "error_code": None,
            "error_message": None,
            "from": form.get("From"),
            "messaging_service_sid": form.get("MessagingServiceSid"),
            "num_media": "0",
            "num_segments": "1",
            "price": None,
            "price_unit": "USD",
            "sid": sid,
            # With a messaging service, Twilio first accepts the message, then queues it.
            "status": "accepted" if form.get("MessagingServiceSid") else "queued",
            "subresource_uris": {"media": f"{uri}/Media.json"},
            "to": form["To"],
            "uri": f"{uri}.json",
        }

    # --- What Twilio posts back ---

    def status_callback(
        self, received: Received, status: str, error_code: str = ""
    ) -> tuple[str, dict]:
        """The address and form of Twilio's report that the message `received` is now
        `status`, posted to the StatusCallback the message was sent with."""
        form = {
            "AccountSid": self.account_sid,
            "ApiVersion": "2010-04-01",
            "From": received.form.get("From", ""),
            "MessageSid": received.sid,
            "MessageStatus": status,
            "SmsSid": received.sid,
            "SmsStatus": status,
            "To": received.form["To"],
        }
        if error_code:
            form["ErrorCode"] = error_code
        return received.form["StatusCallback"], form

    def incoming_text(self, url: str, *, sender: str, body: str) -> tuple[str, dict]:
        """The address and form of the webhook for a text `sender` sent to our number."""
        sid = "SM" + secrets.token_hex(16)
        return url, {
            "AccountSid": self.account_sid,
            "ApiVersion": "2010-04-01",
            "Body": body,
            "From": sender,
            "MessageSid": sid,
            "NumMedia": "0",
            "NumSegments": "1",
            "SmsMessageSid": sid,
            "SmsSid": sid,
            "SmsStatus": "received",
            "To": FROM_NUMBER,
        }

    def signature(self, url: str, form: dict, token: str | None = None) -> str:
        """X-Twilio-Signature as Twilio computes it for a post of `form` to `url`."""
        return RequestValidator(token or self.auth_token).compute_signature(url, form)


def _error(status: int, code: int | None, **details) -> tuple[int, dict]:
    message = ERRORS.get(code, "Error").format(**{"to": "", "path": "", **details})
    return status, {
        "code": code,
        "message": message,
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }


def _basic_auth(header: str) -> tuple[str, str] | None:
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        user, _, password = base64.b64decode(encoded).decode().partition(":")
    except ValueError:
        return None
    return user, password


def _handler_for(server: TwilioServer):
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            self._serve()

        def do_GET(self):
            self._serve()

        def _serve(self):
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length).decode()
            received = Received(
                method=self.command,
                path=urlsplit(self.path).path,
                auth=_basic_auth(self.headers.get("Authorization", "")),
                form=dict(parse_qsl(body, keep_blank_values=True)),
                headers=dict(self.headers.items()),
            )
            server._record(received)
            status, payload = server.answer(received)
            content = json.dumps(payload).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(content)))
                self.end_headers()
                self.wfile.write(content)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up waiting, as after a stall

        def log_message(self, format, *args):
            pass  # the test output stays quiet

    return Handler


def form_body(form: dict) -> str:
    """A form encoded as Twilio posts it."""
    return urlencode(form)
