"""The server computes the dashboard's monthly review on a newly published version before it
serves it, so the first dashboard view after a refresh is a cache hit."""

from __future__ import annotations

import pandas as pd

from churnguard import Workspace
from churnguard.report.review import monthly_review
from churnguard.report.scope import _CACHE
from churnguard.web import freshness
from churnguard.web.app import create_app
from churnguard.web.pages.data import default_month


def test_a_new_version_is_precomputed_before_the_app_moves_to_it(shop):
    ws = Workspace.open(shop, mode="read")
    app = create_app(ws)
    customer = ws.to_pandas("customers")["customer_id"].iloc[0]
    old = ws.warehouse.version
    with Workspace.open(shop) as writer:
        writer.load("orders", pd.DataFrame({"order_id": ["PRE-1"], "customer_id": [customer],
                                            "order_date": ["2026-06-15"], "amount": [1e6]}))
    assert ws.warehouse.stale()
    assert freshness.catch_up(app, ws)
    assert ws.warehouse.version != old
    number = float(ws.warehouse.version[1:7])
    month = default_month(ws)
    kept = {key: value for key, (version, value) in _CACHE.items()
            if key[0] == str(shop.resolve()) and key[1] == "monthly_review"
            and version == number}
    assert kept, "the review of the new version was not computed ahead"
    review = monthly_review(ws, month)
    assert all(_CACHE[key][1] is value for key, value in kept.items())  # a hit: not recomputed
    assert review.cards == next(iter(kept.values())).cards
    ws.close()
