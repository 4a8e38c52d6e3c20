"""ASGI middleware of the web app: limits on requests (body size, no NUL characters) and the
security headers.

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
>>> client.post("/echo", json={"a": "\\x00"}).status_code
422
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
    of it); file uploads (``multipart/form-data``) are left to the routes that take them.

    Also refuse (422) NUL characters in the path, the query string and JSON or form bodies:
    PostgreSQL cannot store or compare text holding them (it would be a 500), and no name,
    note or id needs one."""

    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if "\x00" in scope["path"] or b"%00" in scope.get("query_string", b""):
            await _send_error(send, 422, _NUL, "invalid")
            return
        if scope["method"] not in _BODY_METHODS:
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1")
                   for k, v in scope.get("headers", [])}
        if headers.get("content-type", "").lower().startswith("multipart/form-data"):
            await self.app(scope, receive, send)
            return
        length = headers.get("content-length", "")
        if length.isdigit() and int(length) > self.max_bytes:
            await _send_error(send, 413, _too_large(self.max_bytes), "payload_too_large")
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
                await _send_error(send, 413, _too_large(self.max_bytes), "payload_too_large")
                return
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        if b"\\u0000" in body or b"%00" in body or b"\x00" in body:
            await _send_error(send, 422, _NUL, "invalid")
            return
        replay: list[Message] = [{"type": "http.request", "body": body, "more_body": False}]

        async def buffered() -> Message:
            return replay.pop() if replay else await receive()

        await self.app(scope, buffered, send)


_NUL = "text may not contain NUL characters (\\0, %00, \\u0000); remove them and send again."


async def _send_error(send: Send, status: int, detail: str, code: str) -> None:
    body = json.dumps({"detail": detail, "code": code}).encode()
    await send({"type": "http.response.start", "status": status,
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
