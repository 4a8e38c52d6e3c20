"""ASGI middleware of the web app: a size limit on request bodies and the security headers.

Examples
--------
>>> from fastapi import FastAPI
>>> from fastapi.testclient import TestClient
>>> app = FastAPI()
>>> @app.post("/echo")
... async def echo(body: dict) -> dict:
...     return body
>>> app.add_middleware(BodyLimit, max_bytes=20)
>>> client = TestClient(app)
>>> client.post("/echo", json={"a": 1}).status_code
200
>>> client.post("/echo", json={"a": "x" * 100}).status_code
413
"""

from __future__ import annotations

import json
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from churnguard.web.security import CSP, SECURITY_HEADERS

_BODY_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
_DOCS = ("/docs", "/redoc")


def _too_large(max_bytes: int) -> str:
    return (f"the request body is larger than {max_bytes:,} bytes. Send less text (long "
            f"documents belong in a file import), or raise app.max_body_bytes.")


class BodyLimit:
    """Refuse (413) request bodies over ``max_bytes``, by ``Content-Length`` up front and by
    counting when the body is streamed (it is read before the app runs, at most ``max_bytes``
    of it); file uploads (``multipart/form-data``) are left to the routes that take them."""

    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in _BODY_METHODS:
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1")
                   for k, v in scope.get("headers", [])}
        if headers.get("content-type", "").lower().startswith("multipart/form-data"):
            await self.app(scope, receive, send)
            return
        length = headers.get("content-length", "")
        if length.isdigit() and int(length) > self.max_bytes:
            await _send_413(send, self.max_bytes)
            return
        chunks: list[bytes] = []  # read up to the limit first: the app sees a whole body
        seen = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":  # the client went away
                break
            chunks.append(message.get("body", b""))
            seen += len(chunks[-1])
            if seen > self.max_bytes:
                await _send_413(send, self.max_bytes)
                return
            if not message.get("more_body", False):
                break
        replay: list[Message] = [{"type": "http.request", "body": b"".join(chunks),
                                  "more_body": False}]

        async def buffered() -> Message:
            return replay.pop() if replay else await receive()

        await self.app(scope, buffered, send)


async def _send_413(send: Send, max_bytes: int) -> None:
    body = json.dumps({"detail": _too_large(max_bytes), "code": "payload_too_large"}).encode()
    await send({"type": "http.response.start", "status": 413,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(body)).encode()),
                            (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})


class SecurityHeaders:
    """Add :data:`~churnguard.web.security.SECURITY_HEADERS` to every response and the
    Content-Security-Policy to every response but the API docs pages."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = dict(SECURITY_HEADERS)
        if not scope["path"].startswith(_DOCS):
            extra["Content-Security-Policy"] = CSP

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {k.lower() for k, _ in message.get("headers", [])}
                added: list[Any] = [(k.lower().encode(), v.encode()) for k, v in extra.items()
                                    if k.lower().encode() not in present]
                message = {**message, "headers": [*message.get("headers", []), *added]}
            await send(message)

        await self.app(scope, receive, with_headers)
