"""The profile page: a person sets their name, address, language and channels (audited); a
bad address or channel is refused with a clear message; unconfigured channels cannot be ticked."""

from __future__ import annotations

from sqlalchemy import select

from churnguard.workflow.models import AuditEntry, User
from tests.web.pages_support import client_for, post, shop, shop_template  # noqa: F401


def test_a_rep_sets_address_language_and_channels(shop):  # noqa: F811
    _, app, ids = shop
    client = client_for(app, "rep1")
    page = client.get("/profile")
    assert page.status_code == 200 and 'id="profile-form"' in page.text
    # no [notify] section in this workspace: every channel is shown, none can be ticked
    assert page.text.count("not set up by the administrator") == 4
    assert 'href="/profile"' in page.text
    saved = post(
        client,
        "/profile",
        {
            "display_name": " 王芳 ",
            "email": "wf@example.com",
            "language": "zh",
            "channel": ["email", "feishu"],
        },
    )
    assert saved.status_code == 303 and saved.headers["location"] == "/profile?saved=1"
    with app.state.sessionmaker() as db:
        user = db.get(User, ids["rep1"])
        assert (user.display_name, user.email, user.language, user.notify_channels) == (
            "王芳",
            "wf@example.com",
            "zh",
            ["email", "feishu"],
        )
        entry = db.scalars(
            select(AuditEntry)
            .where(
                AuditEntry.entity == "users",
                AuditEntry.entity_id == str(ids["rep1"]),
                AuditEntry.action == "update",
            )
            .order_by(AuditEntry.id.desc())
        ).first()
        assert entry.after["email"] == "wf@example.com" and entry.actor_id == ids["rep1"]
    assert "Profile saved." in client.get("/profile?saved=1").text
    # the chosen but unconfigured channels are kept by a later save (hidden fields)
    page = client.get("/profile").text
    assert '<input type="hidden" name="channel" value="feishu">' in page


def test_a_bad_address_or_channel_is_refused(shop):  # noqa: F811
    _, app, ids = shop
    client = client_for(app, "rep2")
    bad = post(client, "/profile", {"email": "not an address", "language": "en"})
    assert bad.status_code == 422 and "is not an address like name@example.com" in bad.text
    bad = post(client, "/profile", {"email": "", "channel": "sms"})
    assert bad.status_code == 422 and "channel(s) sms not one of" in bad.text
    bad = post(client, "/profile", {"language": "fr"})
    assert bad.status_code == 422 and "language &#39;fr&#39; is not one of" in bad.text
    with app.state.sessionmaker() as db:
        assert db.get(User, ids["rep2"]).email is None
