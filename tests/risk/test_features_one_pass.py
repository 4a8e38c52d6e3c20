"""The feature query equals the query it replaced: invoices aggregated in the orders' own
pass (not a second scan and join), checked on a small synthetic company against the parts
computed on their own."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from churnguard.risk import features as F

AS_OF = date(2026, 3, 1)
PAYMENT = set(F.PAYMENT_COLUMNS)


@pytest.fixture(scope="module")
def company(tmp_path_factory):
    from churnguard import Workspace
    from churnguard.synth import generate, load

    ws = Workspace.create(tmp_path_factory.mktemp("one_pass") / "shop")
    load(ws, generate(customers=500, years=2, seed=5), validate=False)
    yield ws
    ws.close()


def _reference(ws, day: date, known_until: date | None = None) -> pd.DataFrame:
    """The engine columns as the earlier query built them: payment features from their own
    scan of the orders joined to the active customers, sorted by the engine."""
    purchases = F.order_features(ws, day, known_until=known_until)
    purchases = purchases.drop(*[c for c in purchases.columns if c in PAYMENT])
    payments = F.payment_features(ws, day, known_until=known_until)
    purchases = purchases.left_join(payments, "customer_id").drop("customer_id_right")
    table = F._assemble(ws, day, ws.churn_definition(), purchases, known_until)
    table = table.select("customer_id", *F.ENGINE_COLUMNS).order_by("customer_id")
    return table.to_pandas()


@pytest.mark.parametrize("known_until", [None, date(2026, 1, 15)])
def test_features_equal_the_separate_queries(company, known_until):
    fast = F.features(company, AS_OF, known_until=known_until)
    reference = _reference(company, AS_OF, known_until)
    assert len(fast) > 100
    assert fast["customer_id"].tolist() == reference["customer_id"].tolist()
    assert fast["customer_id"].is_monotonic_increasing
    for name in F.ENGINE_COLUMNS:
        new, old = fast[name], reference[name]
        if name in F.CATEGORICAL_COLUMNS:
            assert new.astype("object").tolist() == old.astype("object").tolist(), name
            continue
        new, old = new.to_numpy(dtype="float64"), old.to_numpy(dtype="float64")
        assert np.array_equal(np.isnan(new), np.isnan(old)), name
        assert np.allclose(new, old, rtol=1e-9, atol=1e-9, equal_nan=True), name
    # the payment columns carry real invoices here (the check could fail)
    assert fast["max_days_late_365d"].notna().sum() > 20
    assert (fast["overdue_invoices"] > 0).sum() > 0
    assert fast["late_share_change_180d"].notna().sum() > 0
