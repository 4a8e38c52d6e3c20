"""Real servers on loopback for the notification tests: an SMTP server (aiosmtpd) that keeps
every mail it receives, and an HTTP server that keeps every webhook request and answers from a
script (so a test can make a robot fail, then work)."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from aiosmtpd.controller import Controller


def free_port() -> int:
    """A TCP port nobody listens on at the moment (loopback)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Mailbox:
    """What the SMTP server received: one parsed message per mail, with its envelope."""

    messages: list[EmailMessage] = field(default_factory=list)
    envelopes: list[tuple[str, list[str]]] = field(default_factory=list)
    port: int = 0

    def to(self, address: str) -> list[EmailMessage]:
        """The mails whose envelope recipients include ``address``."""
        return [
            m for m, (_, rcpt) in zip(self.messages, self.envelopes, strict=True) if address in rcpt
        ]


class _Keeper:
    def __init__(self, box: Mailbox) -> None:
        self.box = box

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.box.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        self.box.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return "250 OK"


@pytest.fixture
def smtp_server() -> Iterator[Mailbox]:
    """An aiosmtpd server on 127.0.0.1; yields its mailbox (``.port`` to connect to)."""
    box = Mailbox(port=free_port())
    controller = Controller(_Keeper(box), hostname="127.0.0.1", port=box.port)
    controller.start()
    yield box
    controller.stop()


@dataclass
class Hook:
    """A loopback HTTP server: ``requests`` holds ``(path_with_query, json_body)`` of each POST;
    ``answers`` is a list of ``(status, json)`` replies used in turn (the last one repeats)."""

    url: str
    requests: list[tuple[str, Any]] = field(default_factory=list)
    answers: list[tuple[int, Any]] = field(default_factory=lambda: [(200, {"errcode": 0})])


@pytest.fixture
def webhook_server() -> Iterator[Hook]:
    """A threading HTTP server on 127.0.0.1 that records the robots' requests."""
    hook = Hook(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            hook.requests.append((self.path, json.loads(body or b"null")))
            status, answer = hook.answers[min(len(hook.requests), len(hook.answers)) - 1]
            data = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *_args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    hook.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield hook
    server.shutdown()
    server.server_close()
