"""Marketing consent and addresses from the warehouse: sync opts customers out (recorded),
opts back in only what the warehouse itself opted out, never undoes an opt-out made in the app,
and brings email and language along."""

from __future__ import annotations

import pandas as pd
from sqlalchemy import select

from churnguard.workflow.models import Customer, MarketingOptOut
from churnguard.workflow.services.consent import set_opt_out
from churnguard.workflow.services.sync import sync
from churnguard.workflow.store import open_store, session_scope


def _load(ws, consent: list[str | None]) -> None:
    ws.load(
        "customers",
        pd.DataFrame(
            {
                "customer_id": ["a", "b", "c", "d"],
                "name": ["A", "B", "C", "D"],
                "email": ["a@example.com", "not-an-address", None, "d@example.com"],
                "language": ["中文", "English", None, "zh-CN"],
                "marketing_consent": consent,
            }
        ),
    )


def test_sync_applies_consent_and_addresses(workspace):
    _load(workspace, ["否", "yes", None, "退订"])
    factory = open_store(workspace)
    with session_scope(factory) as db:
        counts = sync(workspace, db, push=False)
    assert (counts.counts["marketing_opted_out"], counts.counts["marketing_opted_in"]) == (2, 0)
    assert counts.counts["customer_addresses_updated"] == 3
    with session_scope(factory) as db:
        rows = {
            c.id: (c.email, c.language, c.marketing_opt_out) for c in db.scalars(select(Customer))
        }
        assert rows == {
            "a": ("a@example.com", "zh", True),
            "b": (None, "en", False),
            "c": (None, None, False),
            "d": ("d@example.com", "zh", True),
        }
        # customer "d" tells a rep they want no offers: an opt-out recorded in the app
        set_opt_out(db, db.get(Customer, "d"), opted_out=False, source="web")
        set_opt_out(db, db.get(Customer, "d"), opted_out=True, source="web", note="asked")
    _load(workspace, ["是", "yes", None, "同意"])  # the export says both consent again
    with session_scope(factory) as db:
        again = sync(workspace, db, push=False).counts
    assert (again["marketing_opted_out"], again["marketing_opted_in"]) == (0, 1)
    with session_scope(factory) as db:
        state = dict(db.execute(select(Customer.id, Customer.marketing_opt_out)).all())
        assert state == {"a": False, "b": False, "c": False, "d": True}  # d: the app's word
        log = db.execute(
            select(
                MarketingOptOut.customer_id, MarketingOptOut.opted_out, MarketingOptOut.source
            ).order_by(MarketingOptOut.id)
        ).all()
        assert [tuple(r) for r in log] == [
            ("a", True, "warehouse"),
            ("d", True, "warehouse"),
            ("d", False, "web"),
            ("d", True, "web"),
            ("a", False, "warehouse"),
        ]
