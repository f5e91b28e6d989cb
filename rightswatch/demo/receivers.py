"""Real receivers on loopback for the demo (and the alert tests): SMTP and a webhook.

The demo delivers its alerts to a real SMTP server (aiosmtpd) and a real webhook receiver
that verifies every signature with the shipped `verify_signature`, and keeps what they got
(`mail/*.eml`, `webhooks.jsonl`) so a person can look at it.  Both can fail on purpose, which
is how the tests show that no alert is lost.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, cast

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from rightswatch.alerts.webhook import verify_signature


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])



class SmtpRecorder:
    """aiosmtpd handler: records each accepted message; `refuse` = ("451 …" | "550 …" | None)."""

    def __init__(self, out_dir: Path | None = None) -> None:
        self.messages: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.refuse: str | None = None
        self.out_dir = out_dir  # each accepted message also saved there as NNN.eml

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str,
                          rcpt_options: list[str]) -> str:
        if self.refuse:
            return self.refuse
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        self.messages.append(cast(EmailMessage, message_from_bytes(envelope.content,
                                                                   policy=policy.default)))
        if self.out_dir is not None:
            self.out_dir.mkdir(parents=True, exist_ok=True)
            (self.out_dir / f"{len(self.messages):03d}.eml").write_bytes(envelope.content)
        return "250 Message accepted"


class SmtpServer:
    """aiosmtpd on 127.0.0.1; with *login* = (user, password) it requires AUTH."""

    def __init__(self, port: int | None = None, login: tuple[str, str] | None = None,
                 out_dir: Path | None = None) -> None:
        self.handler = SmtpRecorder(out_dir)
        self.port = port or free_port()
        self.login = login
        self.logins: list[tuple[str, bool]] = []
        self.controller: Controller | None = None

    def _authenticate(self, server: Any, session: Any, envelope: Any, mechanism: str,
                      auth_data: Any) -> AuthResult:
        assert self.login is not None
        user = auth_data.login.decode()
        ok = (user, auth_data.password.decode()) == self.login
        self.logins.append((user, ok))
        return AuthResult(success=ok, handled=False)  # False: aiosmtpd answers 535 itself

    def start(self) -> SmtpServer:
        options: dict[str, Any] = {}
        if self.login:
            options = {"authenticator": self._authenticate, "auth_required": True,
                       "auth_require_tls": False}
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port,
                                     **options)
        self.controller.start()
        return self

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}?starttls=0"


# -- webhook receiver ----------------------------------------------------------------------------


class Receiver:
    """A webhook receiver on 127.0.0.1 that verifies signatures with `verify_signature`.

    `script` is a list of behaviours consumed one per request (then 200):
    ``("status", code, headers)``, ``("sleep", seconds)`` (then 200).  `delay` slows every
    request down.  With `secret=None` it records bodies without verifying (for apprise).
    """

    def __init__(self, secret: str | None, port: int | None = None,
                 log_path: Path | None = None) -> None:
        self.secret = secret
        self.log_path = log_path  # one JSON line per request: received_at, headers, body
        self.port = port or free_port()
        self.script: list[tuple[Any, ...]] = []
        self.delay = 0.0
        self.requests: list[dict[str, Any]] = []  # every request, as received
        self.acknowledged: list[str] = []  # delivery ids answered with 2xx
        self.bad_signatures = 0
        self.lock = threading.Lock()
        self.server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def start(self) -> Receiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                valid = receiver.secret is None or verify_signature(
                    receiver.secret, self.headers.get("X-Rightswatch-Timestamp"), body,
                    self.headers.get("X-Rightswatch-Signature"))
                record = {"delivery": self.headers.get("X-Rightswatch-Delivery"),
                          "event": self.headers.get("X-Rightswatch-Event"),
                          "headers": dict(self.headers), "body": body, "valid": valid,
                          "path": self.path}
                with receiver.lock:
                    receiver.requests.append(record)
                    step = receiver.script.pop(0) if receiver.script else ("status", 200, {})
                    receiver.log(record)
                if not valid:
                    receiver.bad_signatures += 1
                    step = ("status", 401, {})
                if step[0] == "sleep":
                    time.sleep(step[1])
                    step = ("status", 200, {})
                if receiver.delay:
                    time.sleep(receiver.delay)
                code, headers = step[1], step[2]
                self.send_response(code)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", "0")
                self.end_headers()
                if 200 <= code < 300:
                    with receiver.lock:
                        receiver.acknowledged.append(str(record["delivery"]))

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    def log(self, record: dict[str, Any]) -> None:
        if self.log_path is None:
            return
        line = {"received_at": datetime.now(UTC).isoformat(timespec="seconds"),
                "headers": record["headers"], "body": _json_or_text(record["body"])}
        with self.log_path.open("a", encoding="utf-8") as fh:
            fh.write(json.dumps(line, ensure_ascii=False) + "\n")

    def ids(self) -> list[str]:
        with self.lock:
            return [r["delivery"] for r in self.requests]


def _json_or_text(body: bytes) -> Any:
    try:
        return json.loads(body)
    except ValueError:
        return body.decode("utf-8", "replace")
