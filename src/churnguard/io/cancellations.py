"""Cancellations and returns in order lines: which lines are ones, and which purchase each voids.

A line is a cancellation when its order id starts with the cancel prefix (``C536379``), when it
names the order it cancels (a ``cancels`` reference column), or when its quantity (or, without
a quantity, its amount) is negative. A cancellation *voids* one purchase line:

- with a reference: a line of the referenced order with the same product (when products are
  known) and the same absolute amount;
- otherwise: a line of the same customer, same product (when known) and same absolute amount
  (to the cent) dated at most :data:`MATCH_DAYS` days before the cancellation, the latest such
  line first.

Each purchase line is voided by at most one cancellation and each cancellation voids at most
one line. A voided pair is no purchase at all; a cancellation that matches nothing is a return
that only reduces revenue. Matching runs on whole columns (a few rounds of an as-of join), never
a loop over customers.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow.compute as pc

from churnguard.io.cells import as_text, to_bool
from churnguard.io.line_orders import is_in, text_of

MATCH_DAYS = 30
_MAX_ROUNDS = 1_000


def cancellation_mask(lines: pd.DataFrame, *, cancel_prefix: str | None = None) -> np.ndarray:
    """Which lines are cancellations or returns.

    Examples
    --------
    >>> lines = pd.DataFrame({"order_id": ["1", "C2", "3"], "quantity": [2.0, 2.0, -1.0],
    ...                       "amount": [4.0, 4.0, -2.0]})
    >>> cancellation_mask(lines, cancel_prefix="C").tolist()
    [False, True, True]
    """
    n = len(lines)
    marked = np.zeros(n, dtype=bool)
    if cancel_prefix:
        marked |= to_bool(pc.starts_with(text_of(lines["order_id"]), cancel_prefix))
    if "cancels" in lines.columns:
        marked |= lines["cancels"].notna().to_numpy()
    amount = lines["amount"].to_numpy(dtype="float64")
    if "quantity" in lines.columns:
        quantity = lines["quantity"].to_numpy(dtype="float64")
        sign = np.where(np.isnan(quantity), amount, quantity)
    else:
        sign = amount
    marked |= np.nan_to_num(sign, nan=0.0) < 0
    return marked


def match_cancellations(lines: pd.DataFrame, cancelled: np.ndarray) -> tuple[np.ndarray, pd.Series]:
    """Pair cancellations with the purchases they void (see the module doc).

    Returns a boolean mask of voided lines (both sides of each pair) and, for those, the order
    id of the other side (null elsewhere).

    Examples
    --------
    >>> lines = pd.DataFrame({
    ...     "order_id": ["1", "2", "C3"], "customer_id": ["a", "a", "a"],
    ...     "order_date": pd.to_datetime(["2024-01-01", "2024-01-05", "2024-01-06"]),
    ...     "amount": [10.0, 10.0, -10.0]})
    >>> voided, other = match_cancellations(lines, np.array([False, False, True]))
    >>> voided.tolist(), other.tolist()
    ([False, True, True], [None, 'C3', '2'])
    """
    if not cancelled.any():
        return np.zeros(len(lines), dtype=bool), pd.Series(None, index=lines.index, dtype=object)
    frame = _keys(lines)
    pairs = []
    if "cancels" in lines.columns and lines["cancels"].notna().any():
        by_reference = cancelled & lines["cancels"].notna().to_numpy()
        pairs.append(_match_by_reference(frame, lines["cancels"], by_reference, cancelled))
        cancelled = cancelled & ~by_reference
    taken = np.zeros(len(lines), dtype=bool)
    for found in pairs:
        taken[found["purchase"].to_numpy()] = True
    pairs.append(_match_by_amount(frame, cancelled, taken))
    matched = pd.concat(pairs, ignore_index=True)
    voided = np.zeros(len(lines), dtype=bool)
    other = np.full(len(lines), None, dtype=object)
    order_ids = lines["order_id"].to_numpy(dtype=object)
    purchase, cancel = matched["purchase"].to_numpy(), matched["cancel"].to_numpy()
    voided[purchase] = True
    voided[cancel] = True
    other[purchase] = order_ids[cancel]
    other[cancel] = order_ids[purchase]
    return voided, pd.Series(other, index=lines.index, dtype=object)


def _keys(lines: pd.DataFrame) -> pd.DataFrame:
    """Positions, days, cents and product of each line, as matching needs them."""
    product = (
        as_text(lines["product_id"]).fillna("")
        if "product_id" in lines.columns
        else pd.Series("", index=lines.index)
    )
    return pd.DataFrame(
        {
            "position": np.arange(len(lines)),
            "order_id": as_text(lines["order_id"]).to_numpy(),
            "customer_id": as_text(lines["customer_id"]).to_numpy(),
            "day": lines["order_date"].dt.normalize().to_numpy(),
            "cents": np.rint(np.abs(lines["amount"].to_numpy(dtype="float64")) * 100),
            "product": product.to_numpy(),
        }
    )


def _match_by_reference(
    frame: pd.DataFrame, cancels: pd.Series, which: np.ndarray, cancelled: np.ndarray
) -> pd.DataFrame:
    """The k-th cancellation of (order, product, amount) voids the k-th such purchase line."""
    keys = ["ref", "product", "cents"]
    cancel = frame[which].assign(ref=as_text(cancels).to_numpy()[which])
    purchase = frame[~cancelled].assign(ref=frame["order_id"][~cancelled])
    cancel = cancel.assign(k=cancel.groupby(keys, dropna=False).cumcount())
    purchase = purchase.assign(k=purchase.groupby(keys, dropna=False).cumcount())
    pairs = cancel.merge(purchase, on=[*keys, "k"], suffixes=("_c", "_p"))
    return pd.DataFrame(
        {
            "purchase": pairs["position_p"].to_numpy(dtype=np.int64),
            "cancel": pairs["position_c"].to_numpy(dtype=np.int64),
        }
    )


def _match_by_amount(frame: pd.DataFrame, cancelled: np.ndarray, taken: np.ndarray) -> pd.DataFrame:
    """Rounds of "each open cancellation takes the latest open purchase of its key within the
    window; a purchase wanted twice goes to the earliest cancellation" until none is found."""
    keys = ["customer_id", "product", "cents"]
    with_customer = frame["customer_id"].notna().to_numpy()
    cancel = frame[cancelled & with_customer]
    purchase = frame[~cancelled & with_customer & ~taken]
    purchase = purchase[is_in(purchase[keys[0]], cancel[keys[0]].unique())]
    found: list[pd.DataFrame] = []
    window = pd.Timedelta(days=MATCH_DAYS)
    for _ in range(_MAX_ROUNDS):
        if cancel.empty or purchase.empty:
            break
        left = cancel.sort_values("day")[[*keys, "day", "position"]]
        right = purchase.sort_values("day")[[*keys, "day", "position"]].rename(
            columns={"position": "purchase"}
        )
        joined = pd.merge_asof(
            left, right, on="day", by=keys, direction="backward", tolerance=window
        ).dropna(subset=["purchase"])
        if joined.empty:
            break
        joined = joined.sort_values(["day", "position"]).drop_duplicates("purchase")
        pairs = pd.DataFrame(
            {
                "purchase": joined["purchase"].to_numpy(dtype=np.int64),
                "cancel": joined["position"].to_numpy(dtype=np.int64),
            }
        )
        found.append(pairs)
        cancel = cancel[~cancel["position"].isin(pairs["cancel"])]
        purchase = purchase[~purchase["position"].isin(pairs["purchase"])]
    if not found:
        return pd.DataFrame({"purchase": np.zeros(0, np.int64), "cancel": np.zeros(0, np.int64)})
    return pd.concat(found, ignore_index=True)
