"""Per-feature contributions of a LightGBM model, exact or fast.

- ``"shap"``: LightGBM's own ``pred_contrib`` (TreeSHAP), exact Shapley values; its cost grows
  with trees × leaves × depth² per row (about 1–2 ms per customer for a few hundred trees).
- ``"path"``: the same trees read as decision paths (Saabas; XGBoost calls it
  ``approx_contribs``): walking from the root to the customer's leaf, each split credits the
  change in the node value to the feature it splits on. Like TreeSHAP it adds up exactly to
  the model's log-odds (root value + credits = leaf value), and it costs one table look-up
  per tree, so a million customers take seconds. Rankings of reasons agree closely with
  TreeSHAP's for shallow trees.

``"auto"`` uses TreeSHAP up to :data:`SHAP_MAX_ROWS` rows and paths beyond.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import pandas as pd
from scipy import sparse

SHAP_MAX_ROWS = 20_000
CHUNK_ROWS = 50_000
METHODS = ("auto", "shap", "path")


def tree_contributions(booster: Any, frame: pd.DataFrame, *, method: str = "auto",
                       num_iteration: int | None = None, threads: int = 2) -> np.ndarray:
    """Array ``(rows, features + 1)``: contributions per feature and the bias (last column).

    ``threads`` blocks of rows are worked on at once by the path method (each block is
    independent, so the result does not depend on it).

    Examples
    --------
    >>> import lightgbm as lgb
    >>> rng = np.random.default_rng(0)
    >>> X = pd.DataFrame({"a": rng.normal(size=500), "b": rng.normal(size=500)})
    >>> booster = lgb.train({"objective": "binary", "verbosity": -1, "num_leaves": 4},
    ...                     lgb.Dataset(X, (X.a > 0).astype(int)), 10)
    >>> parts = tree_contributions(booster, X, method="path")
    >>> bool(np.allclose(parts.sum(axis=1), booster.predict(X, raw_score=True)))
    True
    """
    if method not in METHODS:
        from churnguard.errors import ConfigError

        raise ConfigError(f"contribution method {method!r} is not one of {', '.join(METHODS)}.")
    if method == "shap" or (method == "auto" and len(frame) <= SHAP_MAX_ROWS):
        return booster.predict(frame, pred_contrib=True, num_iteration=num_iteration)
    credit, bias = path_tables(booster, num_iteration=num_iteration)
    table, lookup = _paired(credit)
    out = np.empty((len(frame), credit.shape[2] + 1))
    out[:, -1] = bias.sum()

    def block(start: int) -> None:  # rows [start, start + CHUNK_ROWS): bounded memory
        part = frame.iloc[start:start + CHUNK_ROWS]
        leaves = np.asarray(booster.predict(part, pred_leaf=True, num_iteration=num_iteration,
                                            num_threads=1), dtype=np.int64)
        columns = lookup(leaves.reshape(len(part), -1)).ravel()
        per_row = columns.size // max(len(part), 1)
        # one-hot of (tree pair, leaf pair) per row, built directly as CSR, times the
        # stacked credit table: one sparse product per block
        onehot = sparse.csr_matrix(
            (np.ones(columns.size), columns, np.arange(0, columns.size + 1, per_row)),
            shape=(len(part), table.shape[0]))
        out[start:start + len(part), :-1] = onehot @ table

    starts = range(0, len(frame), CHUNK_ROWS)
    if len(starts) > 1 and threads > 1:  # LightGBM and the sparse product release the GIL
        with ThreadPoolExecutor(max_workers=threads) as pool:
            list(pool.map(block, starts))
    else:
        for start in starts:
            block(start)
    return out


PAIR_TABLE_BYTES = 64 * 2**20


def _paired(credit: np.ndarray) -> tuple[np.ndarray, Any]:
    """The credit table with trees joined in pairs, and the function from leaves
    ``(rows, trees)`` to its rows ``(rows, pairs)``.

    A pair of trees has a row per (leaf of the first, leaf of the second) holding the sum of
    the two leaves' credits, so each customer needs half the look-ups (the sparse product
    costs one row of the table per look-up). When the paired table would exceed
    :data:`PAIR_TABLE_BYTES` (many leaves), the trees stay single.
    """
    trees, width, features = credit.shape
    if trees < 2 or (trees + 1) // 2 * width * width * features * 8 > PAIR_TABLE_BYTES:
        offsets = np.arange(trees, dtype=np.int64) * width
        return credit.reshape(trees * width, features), lambda leaves: leaves + offsets
    if trees % 2:  # an odd tree is paired with a tree of one leaf and no credit
        credit = np.concatenate([credit, np.zeros((1, width, features))])
    first, second = credit[0::2], credit[1::2]
    table = (first[:, :, None, :] + second[:, None, :, :]).reshape(-1, features)
    offsets = np.arange(first.shape[0], dtype=np.int64) * (width * width)

    def lookup(leaves: np.ndarray) -> np.ndarray:
        second_leaves = leaves[:, 1::2]
        if trees % 2:
            second_leaves = np.concatenate(
                [second_leaves, np.zeros((len(leaves), 1), dtype=np.int64)], axis=1)
        return leaves[:, 0::2] * width + second_leaves + offsets

    return table, lookup


def path_tables(booster: Any, *, num_iteration: int | None = None) -> tuple[np.ndarray,
                                                                             np.ndarray]:
    """``credit[tree, leaf, feature]`` and ``bias[tree]`` (the root value of each tree)."""
    dump = booster.dump_model(num_iteration=num_iteration or -1)
    trees = dump["tree_info"]
    features = len(dump["feature_names"])
    leaves = max(int(t.get("num_leaves", 1)) for t in trees) if trees else 1
    credit = np.zeros((len(trees), leaves, features))
    bias = np.zeros(len(trees))
    for index, tree in enumerate(trees):
        root = tree["tree_structure"]
        bias[index] = root.get("internal_value", root.get("leaf_value", 0.0))
        _walk(root, np.zeros(features), bias[index], credit[index])
    return credit, bias


def _walk(node: dict, path: np.ndarray, value: float, table: np.ndarray) -> None:
    if "leaf_index" in node or "split_feature" not in node:
        table[int(node.get("leaf_index", 0))] = path
        return
    feature = int(node["split_feature"])
    for side in ("left_child", "right_child"):
        child = node[side]
        child_value = child.get("internal_value", child.get("leaf_value", 0.0))
        step = path.copy()
        step[feature] += child_value - value
        _walk(child, step, child_value, table)
