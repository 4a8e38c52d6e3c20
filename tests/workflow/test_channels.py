"""Each channel against a real server on loopback: SMTP (aiosmtpd) and the 企业微信 / 钉钉 / 飞书
robots (a local HTTP server that checks the documented message shapes and signatures)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import urllib.parse

import pytest

from churnguard.errors import ConfigError
from churnguard.workflow.channels import (
    DeliveryError,
    EmailSettings,
    NotifySettings,
    WebhookSettings,
    deliver,
    post_webhook,
    send_email,
)
from tests.workflow.servers import free_port


def test_email_reaches_the_smtp_server_with_chinese_text(smtp_server):
    settings = EmailSettings(
        host="127.0.0.1", port=smtp_server.port, sender="churnguard@example.com"
    )
    send_email(settings, "rep1@example.com", "今日摘要 Daily digest", "3 个任务到期\nline 2")
    [mail] = smtp_server.to("rep1@example.com")
    assert mail["Subject"] == "今日摘要 Daily digest"
    assert mail["From"] == "churnguard@example.com"
    assert mail.get_content().splitlines() == ["3 个任务到期", "line 2"]
    assert smtp_server.envelopes[0][0] == "churnguard@example.com"


def test_email_to_a_server_that_is_down_raises_a_delivery_error():
    settings = EmailSettings(host="127.0.0.1", port=free_port(), sender="a@example.com", timeout=2)
    with pytest.raises(DeliveryError, match=r"SMTP 127\.0\.0\.1:\d+ did not take the mail"):
        send_email(settings, "x@example.com", "s", "b")


def test_wecom_markdown_and_text(webhook_server):
    url = f"{webhook_server.url}/cgi-bin/webhook/send?key=KEY"
    post_webhook("wecom", WebhookSettings(url=url), "摘要", "- **2** 项任务")
    post_webhook("wecom", WebhookSettings(url=url, msgtype="text"), "摘要", "两行\n文本")
    (path, markdown), (_, text) = webhook_server.requests
    assert path == "/cgi-bin/webhook/send?key=KEY"
    assert markdown == {"msgtype": "markdown", "markdown": {"content": "**摘要**\n- **2** 项任务"}}
    assert text == {"msgtype": "text", "text": {"content": "摘要\n两行\n文本"}}


def test_dingtalk_signed_markdown(webhook_server):
    url = f"{webhook_server.url}/robot/send?access_token=TOKEN"
    secret = "SECsecret"
    post_webhook(
        "dingtalk", WebhookSettings(url=url, secret=secret), "Digest", "a\nb", now=1_700_000_000.25
    )
    [(path, body)] = webhook_server.requests
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(path).query)
    assert query["access_token"] == ["TOKEN"] and query["timestamp"] == ["1700000000250"]
    # the documented check: base64(HMAC-SHA256(key=secret, "timestamp\nsecret"))
    expected = base64.b64encode(
        hmac.new(secret.encode(), b"1700000000250\nSECsecret", hashlib.sha256).digest()
    ).decode()
    assert query["sign"] == [expected]
    assert body == {
        "msgtype": "markdown",
        "markdown": {"title": "Digest", "text": "### Digest\na\nb"},
    }


def test_feishu_signed_post(webhook_server):
    webhook_server.answers = [(200, {"code": 0, "msg": "success"})]
    url = f"{webhook_server.url}/open-apis/bot/v2/hook/HOOK"
    post_webhook(
        "feishu", WebhookSettings(url=url, secret="s3"), "日报", "一\n二", now=1_700_000_000
    )
    [(path, body)] = webhook_server.requests
    assert path == "/open-apis/bot/v2/hook/HOOK"
    expected = base64.b64encode(hmac.new(b"1700000000\ns3", b"", hashlib.sha256).digest())
    assert body["timestamp"] == "1700000000" and body["sign"] == expected.decode()
    assert body["msg_type"] == "post"
    assert body["content"]["post"]["zh_cn"] == {
        "title": "日报",
        "content": [[{"tag": "text", "text": "一"}], [{"tag": "text", "text": "二"}]],
    }


def test_feishu_text_without_secret_has_no_signature(webhook_server):
    post_webhook("feishu", WebhookSettings(url=webhook_server.url, msgtype="text"), "t", "b")
    assert webhook_server.requests[0][1] == {"msg_type": "text", "content": {"text": "t\nb"}}


@pytest.mark.parametrize(
    ("answer", "match"),
    [
        ((200, {"errcode": 93000, "errmsg": "invalid webhook url"}), "refused the message: 93000"),
        ((200, {"code": 19021, "msg": "sign match fail"}), "refused the message: 19021"),
        ((500, {"error": "down"}), "answered HTTP 500"),
    ],
)
def test_a_robot_that_refuses_raises_a_delivery_error(webhook_server, answer, match):
    webhook_server.answers = [answer]
    with pytest.raises(DeliveryError, match=match):
        post_webhook(
            "dingtalk", WebhookSettings(url=webhook_server.url + "/?access_token=T"), "s", "b"
        )


def test_a_robot_that_does_not_answer_raises_a_delivery_error():
    hook = WebhookSettings(url=f"http://127.0.0.1:{free_port()}/hook?key=SECRETKEY", timeout=2)
    with pytest.raises(DeliveryError, match="wecom robot") as caught:
        post_webhook("wecom", hook, "s", "b")
    assert "SECRETKEY" not in str(caught.value)


def test_settings_from_the_notify_section_and_their_errors(smtp_server):
    settings = NotifySettings.from_section(
        {
            "email": {"host": "127.0.0.1", "port": smtp_server.port, "sender": "cg@example.com"},
            "feishu": {"url": "http://127.0.0.1:1/x"},
            "max_attempts": 3,
        }
    )
    assert settings.channels() == ("email", "feishu") and settings.max_attempts == 3
    deliver(settings, "email", "ann@example.com", "hi", "there")
    assert len(smtp_server.to("ann@example.com")) == 1
    with pytest.raises(DeliveryError, match=r"add \[notify.wecom\]"):
        deliver(settings, "wecom", "", "s", "b")
    with pytest.raises(ConfigError, match=r"\[notify.email\]: missing sender"):
        NotifySettings.from_section({"email": {"host": "h"}})
    with pytest.raises(ConfigError, match=r"\[notify\] has unknown setting\(s\) slack"):
        NotifySettings.from_section({"slack": {"url": "u"}})
