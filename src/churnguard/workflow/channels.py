"""Where notifications go (通知渠道): email over SMTP and the group robots of 企业微信, 钉钉 and
飞书, each in its documented message format.

Settings come from ``[notify.*]`` in ``churnguard.toml``::

    [notify.email]
    host = "127.0.0.1"
    port = 25
    sender = "churnguard@example.com"
    starttls = false        # optional username / password

    [notify.wecom]          # 企业微信 group robot: .../cgi-bin/webhook/send?key=…
    url = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=KEY"
    [notify.dingtalk]       # 钉钉 robot; secret = the "SEC…" signing secret (optional)
    url = "https://oapi.dingtalk.com/robot/send?access_token=TOKEN"
    secret = "SEC…"
    [notify.feishu]         # 飞书 bot; secret = the signature-check secret (optional)
    url = "https://open.feishu.cn/open-apis/bot/v2/hook/HOOK"

:func:`deliver` sends one message and raises :class:`DeliveryError` when the server refuses
it; the outbox (:mod:`churnguard.workflow.services.outbox`) retries.

Examples
--------
>>> dingtalk_sign("SECabc", 1700000000000)
'jcUpW0QmtKduN03n4JqQ0PBosVjqnM8gU7fIIvsDmCM%3D'
>>> wecom_payload("Digest", "**3** tasks due", msgtype="text")
{'msgtype': 'text', 'text': {'content': 'Digest\\n**3** tasks due'}}
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import smtplib
import ssl
import time
import urllib.parse
from dataclasses import MISSING, dataclass, field, fields
from email.message import EmailMessage
from typing import Any

import httpx

from churnguard.errors import ChurnguardError, ConfigError

WEBHOOK_CHANNELS = ("wecom", "dingtalk", "feishu")
CHANNELS = ("email", *WEBHOOK_CHANNELS)


class DeliveryError(ChurnguardError, RuntimeError):
    """A channel's server did not take a message (the outbox retries it later)."""


@dataclass(frozen=True)
class EmailSettings:
    """``[notify.email]``: the SMTP server that sends the mail."""

    host: str
    sender: str
    port: int = 25
    starttls: bool = False
    username: str | None = None
    password: str | None = None
    timeout: float = 20.0


@dataclass(frozen=True)
class WebhookSettings:
    """``[notify.wecom]`` / ``[notify.dingtalk]`` / ``[notify.feishu]``: one group robot.

    ``msgtype`` is ``markdown`` (企业微信, 钉钉) / ``post`` (飞书) by default, or ``text``.
    """

    url: str
    secret: str | None = None
    msgtype: str | None = None
    timeout: float = 20.0


@dataclass(frozen=True)
class NotifySettings:
    """All of ``[notify]``: the channels, the outbox's retries and the risk-jump alert.

    Attributes
    ----------
    email, webhooks
        The configured channels (a channel without settings cannot be chosen).
    max_attempts, retry_minutes
        A failing message is tried ``max_attempts`` times, waiting ``retry_minutes`` × 2^(n−1)
        after the n-th failure.
    risk_jump
        A core customer's ``p_churn`` rising by at least this much since the last check alerts
        the owner.
    """

    email: EmailSettings | None = None
    webhooks: dict[str, WebhookSettings] = field(default_factory=dict)
    max_attempts: int = 5
    retry_minutes: float = 5.0
    risk_jump: float = 0.2

    @classmethod
    def from_section(cls, section: dict[str, Any]) -> NotifySettings:
        """Build from the ``[notify]`` toml section; unknown keys are an error.

        Examples
        --------
        >>> s = NotifySettings.from_section({"email": {"host": "127.0.0.1", "sender": "a@b.c"}})
        >>> s.email.port, s.channels()
        (25, ('email',))
        """
        values = dict(section)
        email = values.pop("email", None)
        hooks = {name: values.pop(name) for name in WEBHOOK_CHANNELS if name in values}
        known = {f.name for f in fields(cls)} - {"email", "webhooks"}
        unknown = set(values) - known
        if unknown:
            raise ConfigError(
                f"[notify] has unknown setting(s) {', '.join(sorted(unknown))}; "
                f"known: {', '.join(sorted(known | set(CHANNELS)))}."
            )
        return cls(
            email=_build(EmailSettings, email, "notify.email") if email else None,
            webhooks={
                name: _build(WebhookSettings, value, f"notify.{name}")
                for name, value in hooks.items()
            },
            **values,
        )

    def channels(self) -> tuple[str, ...]:
        """The channels that are configured, in :data:`CHANNELS` order."""
        return tuple(c for c in CHANNELS if (c == "email" and self.email) or c in self.webhooks)


def _build(kind: type, values: Any, where: str) -> Any:
    if not isinstance(values, dict):
        raise ConfigError(f"[{where}] must be a table of settings, got {values!r}.")
    known = {f.name for f in fields(kind)}
    required = {
        f.name for f in fields(kind) if f.default is MISSING and f.default_factory is MISSING
    }
    unknown, missing = set(values) - known, {n for n in required if n not in values}
    if unknown or missing:
        raise ConfigError(
            f"[{where}]: "
            + "; ".join(
                part
                for part in (
                    f"unknown {', '.join(sorted(unknown))}" if unknown else "",
                    f"missing {', '.join(sorted(missing))}" if missing else "",
                )
                if part
            )
            + f". Known settings: {', '.join(sorted(known))}."
        )
    return kind(**values)


def send_email(settings: EmailSettings, to: str, subject: str, body: str) -> None:
    """Send a plain-text UTF-8 mail to ``to`` through the SMTP server of ``settings``."""
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = settings.sender, to, subject
    message.set_content(body)
    try:
        with smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout) as smtp:
            if settings.starttls:
                smtp.starttls(context=ssl.create_default_context())
            if settings.username:
                smtp.login(settings.username, settings.password or "")
            smtp.send_message(message)
    except (OSError, smtplib.SMTPException) as exc:
        raise DeliveryError(
            f"SMTP {settings.host}:{settings.port} did not take the mail to {to}: {exc}"
        ) from None


def wecom_payload(subject: str, body: str, *, msgtype: str = "markdown") -> dict[str, Any]:
    """A 企业微信 group-robot message (``msgtype`` ``markdown`` or ``text``)."""
    if msgtype == "text":
        return {"msgtype": "text", "text": {"content": f"{subject}\n{body}"}}
    return {"msgtype": "markdown", "markdown": {"content": f"**{subject}**\n{body}"}}


def dingtalk_payload(subject: str, body: str, *, msgtype: str = "markdown") -> dict[str, Any]:
    """A 钉钉 robot message (``msgtype`` ``markdown`` with a title, or ``text``)."""
    if msgtype == "text":
        return {"msgtype": "text", "text": {"content": f"{subject}\n{body}"}}
    return {"msgtype": "markdown", "markdown": {"title": subject, "text": f"### {subject}\n{body}"}}


def feishu_payload(subject: str, body: str, *, msgtype: str = "post") -> dict[str, Any]:
    """A 飞书 bot message (``msg_type`` ``post``, one text line per body line, or ``text``)."""
    if msgtype == "text":
        return {"msg_type": "text", "content": {"text": f"{subject}\n{body}"}}
    lines = [[{"tag": "text", "text": line}] for line in body.splitlines() or [""]]
    post = {"title": subject, "content": lines}
    return {"msg_type": "post", "content": {"post": {"zh_cn": post, "en_us": post}}}


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    """钉钉's signature: HMAC-SHA256 of ``"<timestamp>\\n<secret>"`` keyed by the secret,
    base64, URL-encoded (it goes in the query string)."""
    digest = hmac.new(
        secret.encode(), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256
    ).digest()
    return urllib.parse.quote_plus(base64.b64encode(digest).decode())


def feishu_sign(secret: str, timestamp_s: int) -> str:
    """飞书's signature: HMAC-SHA256 keyed by ``"<timestamp>\\n<secret>"`` of an empty message,
    base64 (it goes in the JSON body).

    Examples
    --------
    >>> feishu_sign("abc", 1700000000)
    'VIS10b0EBvzzSdFnuk4tznEmK5wHaruvf/WnViv2yR4='
    """
    digest = hmac.new(f"{timestamp_s}\n{secret}".encode(), b"", hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def webhook_request(
    channel: str, settings: WebhookSettings, subject: str, body: str, *, now: float | None = None
) -> tuple[str, dict[str, Any]]:
    """The URL and JSON body to post for ``channel``, signed when a secret is set."""
    now = time.time() if now is None else now
    url = settings.url
    if channel == "wecom":
        return url, wecom_payload(subject, body, msgtype=settings.msgtype or "markdown")
    if channel == "dingtalk":
        payload = dingtalk_payload(subject, body, msgtype=settings.msgtype or "markdown")
        if settings.secret:
            stamp = int(now * 1000)
            url += (
                "&" if "?" in url else "?"
            ) + f"timestamp={stamp}&sign={dingtalk_sign(settings.secret, stamp)}"
        return url, payload
    if channel == "feishu":
        payload = feishu_payload(subject, body, msgtype=settings.msgtype or "post")
        if settings.secret:
            stamp = int(now)
            payload = {
                "timestamp": str(stamp),
                "sign": feishu_sign(settings.secret, stamp),
                **payload,
            }
        return url, payload
    raise ConfigError(
        f"unknown webhook channel {channel!r}; use one of {', '.join(WEBHOOK_CHANNELS)}."
    )


def post_webhook(
    channel: str, settings: WebhookSettings, subject: str, body: str, *, now: float | None = None
) -> None:
    """Post one message to a group robot; a transport error, an HTTP error or a non-zero
    ``errcode`` (企业微信, 钉钉) / ``code`` (飞书) in the answer raise :class:`DeliveryError`."""
    url, payload = webhook_request(channel, settings, subject, body, now=now)
    where = urllib.parse.urlsplit(url)._replace(query="").geturl()  # the key stays out of logs
    try:
        response = httpx.post(url, json=payload, timeout=settings.timeout)
    except httpx.HTTPError as exc:
        raise DeliveryError(f"{channel} robot {where}: {exc}") from None
    if response.status_code >= 400:
        raise DeliveryError(
            f"{channel} robot {where} answered HTTP {response.status_code}: {response.text[:200]}"
        )
    try:
        answer = response.json()
    except ValueError:
        raise DeliveryError(
            f"{channel} robot {where} answered with no JSON: {response.text[:200]}"
        ) from None
    code = answer.get("code", answer.get("errcode", 0)) if isinstance(answer, dict) else 0
    if code not in (0, None):
        message = answer.get("msg") or answer.get("errmsg") or ""
        raise DeliveryError(f"{channel} robot {where} refused the message: {code} {message}")


def deliver(
    settings: NotifySettings, channel: str, recipient: str, subject: str, body: str
) -> None:
    """Send one message through ``channel`` (``recipient`` is the address for email; the
    robots post to their group)."""
    if channel == "email":
        if settings.email is None:
            raise DeliveryError("email is not configured: add [notify.email] to churnguard.toml.")
        send_email(settings.email, recipient, subject, body)
        return
    hook = settings.webhooks.get(channel)
    if hook is None:
        raise DeliveryError(
            f"{channel} is not configured: add [notify.{channel}] url = … to churnguard.toml."
        )
    post_webhook(channel, hook, subject, body)
