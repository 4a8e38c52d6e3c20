"""How well reasons are read: the evaluation protocol behind the F1 figures we report.

The labelled set has two parts:

* **hand-written** — ``tests/data/reasons_eval.csv``: 186 complaints and exit-survey answers
  written for churnguard (93 Chinese or Chinese-English mixed, 93 English), 12–14 per reason.
* **synth** — the texts of :func:`churnguard.synth.generate` interactions that carry a
  ``reason``, de-duplicated by exact text.

Protocol (:func:`evaluate_model`), so that no text is ever scored by a model trained on it:

1. The distinct synth texts are shuffled (``seed``) and cut in two halves: *synth-train* and
   *synth-test*; a text is in exactly one half.
2. The hand-written set is split into ``folds`` stratified folds; synth-test into ``folds``
   plain folds.
3. For each fold *k* a fresh model is fitted on synth-train plus the hand-written texts outside
   fold *k*, and predicts hand-written fold *k* and synth-test fold *k*.
4. Every evaluated text is thus predicted once, by a model that never saw it. Macro-F1 is the
   unweighted mean of per-reason F1 over the reasons present in the true labels.

The lexicon needs no training, so :func:`evaluate_lexicon` reads the same hand-written and
synth-test texts directly.

Examples
--------
>>> macro_f1(["price", "price", "quality"], ["price", "quality", "quality"])
0.6667
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import f1_score
from sklearn.model_selection import KFold, StratifiedKFold

from churnguard.reasons.classifier import ReasonClassifier, classify
from churnguard.reasons.text import detect_language


def read_eval_set(path: str | Path) -> pd.DataFrame:
    """The hand-written set: ``text, lang, reason`` (``n/a`` and ``无`` kept as text)."""
    frame = pd.read_csv(path, keep_default_na=False, dtype=str)
    frame["part"] = "hand"
    return frame


def synth_labelled(interactions: pd.DataFrame) -> pd.DataFrame:
    """Distinct labelled texts of synthetic interactions: ``text, lang, reason, part``."""
    rows = interactions[interactions["text"].notna() & interactions["reason"].notna()]
    rows = rows.drop_duplicates("text")
    return pd.DataFrame({
        "text": rows["text"].astype(str).to_numpy(),
        "lang": [detect_language(t) for t in rows["text"]],
        "reason": rows["reason"].astype(str).to_numpy(),
        "part": "synth",
    })


def macro_f1(truth: pd.Series | list[str], predicted: pd.Series | list[str]) -> float:
    """Mean per-reason F1 over the reasons present in ``truth`` (4 decimals)."""
    labels = sorted(set(truth))
    return round(float(f1_score(truth, predicted, labels=labels, average="macro",
                                zero_division=0)), 4)


def split_synth(synth: pd.DataFrame, *, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Shuffle distinct synth texts and cut them into (train, test) halves."""
    order = np.random.default_rng(seed).permutation(len(synth))
    half = len(order) // 2
    return (synth.iloc[order[:half]].reset_index(drop=True),
            synth.iloc[order[half:]].reset_index(drop=True))


def _figures(frame: pd.DataFrame) -> dict[str, float]:
    out = {"all": macro_f1(frame["reason"], frame["predicted"])}
    for part in ("hand", "synth"):
        subset = frame[frame["part"] == part]
        if len(subset):
            out[part] = macro_f1(subset["reason"], subset["predicted"])
    return out


def evaluate_lexicon(hand: pd.DataFrame, synth_test: pd.DataFrame) -> tuple[dict, pd.DataFrame]:
    """Lexicon-only macro-F1 on hand-written + synth-test texts: (figures, predictions)."""
    frame = pd.concat([hand, synth_test], ignore_index=True)
    frame["predicted"] = classify(frame["text"])["reason"].to_numpy()
    return _figures(frame), frame


def evaluate_model(hand: pd.DataFrame, synth_train: pd.DataFrame, synth_test: pd.DataFrame, *,
                   folds: int = 5, seed: int = 0, threshold: float = 0.35,
                   make_model: Callable[[], Any] | None = None) -> tuple[dict, pd.DataFrame]:
    """Cross-validated macro-F1 of :class:`ReasonClassifier` (see the module protocol).

    ``make_model`` builds another model to score with the same protocol (it needs ``fit(texts,
    reasons)`` and ``predict(texts)`` returning ``reason`` and ``source`` columns); the bench
    uses it for baselines.
    """
    hand = hand.reset_index(drop=True)
    synth_test = synth_test.reset_index(drop=True)
    hand_folds = StratifiedKFold(folds, shuffle=True, random_state=seed).split(
        hand["text"], hand["reason"])
    synth_folds = KFold(folds, shuffle=True, random_state=seed).split(synth_test)
    parts = []
    for (hand_train, hand_test), (_, synth_fold) in zip(hand_folds, synth_folds, strict=True):
        test = pd.concat([hand.iloc[hand_test], synth_test.iloc[synth_fold]], ignore_index=True)
        train = pd.concat([synth_train, hand.iloc[hand_train]], ignore_index=True)
        train = train[~train["text"].isin(test["text"])]  # never score a text trained on
        model = make_model() if make_model else ReasonClassifier(threshold=threshold)
        model.fit(train["text"], train["reason"])
        predicted = model.predict(test["text"])
        parts.append(test.assign(predicted=predicted["reason"].to_numpy(),
                                 source=predicted["source"].to_numpy()))
    frame = pd.concat(parts, ignore_index=True)
    return _figures(frame), frame


# -- the real evaluation set ---------------------------------------------------------------
REAL_LABELS = Path(__file__).resolve().parents[3] / "tests" / "data" / "reasons_real_labels.csv"


def read_real_set(labels: str | Path = REAL_LABELS, root: str | Path | None = None
                  ) -> pd.DataFrame:
    """The real evaluation set: ``source, key, lang, reason, text``.

    The repository keeps only keys and labels (``tests/data/reasons_real_labels.csv``); the
    texts come from the fetched public snapshots (:mod:`churnguard.reasons.corpora`), checked
    against the SHA-1 prefix recorded when they were labelled.

    Raises
    ------
    CorpusMissingError
        When a snapshot is missing (tests skip on it).
    SchemaError
        When a text no longer matches its recorded hash.
    """
    import hashlib

    from churnguard.errors import SchemaError
    from churnguard.reasons.corpora import load_corpora

    labelled = pd.read_csv(labels, dtype=str, keep_default_na=False)
    corpora = load_corpora(root)
    texts = corpora.drop_duplicates(["source", "key"]).set_index(["source", "key"])["text"]
    index = pd.MultiIndex.from_frame(labelled[["source", "key"]])
    missing = ~index.isin(texts.index)
    if missing.any():
        raise SchemaError(f"{int(missing.sum())} labelled texts are not in the snapshots "
                          f"(first: {labelled[missing].iloc[0].tolist()}); fetch the commits "
                          f"listed in churnguard.reasons.corpora.SNAPSHOTS.")
    labelled["text"] = texts.reindex(index).to_numpy()
    digest = [hashlib.sha1(t.encode()).hexdigest()[:10] for t in labelled["text"]]
    changed = labelled["sha1"] != pd.Series(digest)
    if changed.any():
        raise SchemaError(f"{int(changed.sum())} texts differ from the ones labelled; use the "
                          f"snapshot commits in churnguard.reasons.corpora.SNAPSHOTS.")
    return labelled.drop(columns="sha1")


def per_code(truth: pd.Series, predicted: pd.Series) -> pd.DataFrame:
    """Precision, recall, F1 and support per code present in ``truth`` or ``predicted``.

    Examples
    --------
    >>> per_code(pd.Series(["price", "quality"]), pd.Series(["price", "price"]))["f1"].tolist()
    [0.6667, 0.0]
    """
    from sklearn.metrics import precision_recall_fscore_support

    labels = sorted(set(truth) | set(predicted))
    p, r, f, s = precision_recall_fscore_support(truth, predicted, labels=labels,
                                                 zero_division=0)
    return pd.DataFrame({"code": labels, "precision": p.round(4), "recall": r.round(4),
                         "f1": f.round(4), "support": s})


def confusion(truth: pd.Series, predicted: pd.Series) -> pd.DataFrame:
    """Counts of true code (rows) against predicted code (columns)."""
    return pd.crosstab(pd.Series(list(truth), name="true"),
                       pd.Series(list(predicted), name="predicted"))


def slice_figures(frame: pd.DataFrame, column: str = "predicted") -> dict[str, float]:
    """Macro-F1 overall, per language and per source (codes present in each slice's truth)."""
    out = {"all": macro_f1(frame["reason"], frame[column])}
    for key in ("lang", "source"):
        for value, part in frame.groupby(key):
            out[f"{key}={value}"] = macro_f1(part["reason"], part[column])
    return out
