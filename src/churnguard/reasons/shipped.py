"""The shipped reason model: hashed character n-grams into a logistic regression, trained
without any hand labels (weak supervision) and shipped inside the package.

How it is built (:func:`train_weak`, run by ``bench/reasons.py --train``):

1. **Weak labels** (:func:`weak_labels`): the lexicon reads a large unlabelled corpus of real
   reviews and complaints (the ``build`` split of :mod:`churnguard.reasons.corpora`). A text
   whose reading is clear (one reason, confidence ≥ ``min_confidence``) gets that reason; a text
   in which the lexicon finds nothing and which praises (很好, 不错, great, love …) or which its
   source marks as positive gets ``other``; everything else stays unlabelled.
2. **Model**: character 1–4-grams hashed into 2^18 columns by a vectorised hash (no
   vocabulary to ship, reads Chinese without segmentation), a class-balanced logistic
   regression fitted by SGD (one-vs-rest scores turned into probabilities by a softmax).
3. **Self-training**: the model reads the unlabelled texts; those it reads with calibrated
   confidence ≥ ``self_train_at`` join the training set once, and the model is fitted again.
4. **Calibration**: one temperature fitted on a held-out 15 % of the weak labels (so
   confidences say how often the model agrees with the lexicon on text it did not see).
5. **Shipping**: the weights are pruned to the largest ``keep`` entries and stored as float16
   in ``reasons/models/reasons-<version>.npz`` (a few hundred kB), loaded offline.

:func:`shipped_model` loads the file once. ``predict`` answers ``other`` with confidence 0 when
its calibrated confidence is below ``threshold``.

Examples
--------
>>> model = shipped_model()
>>> model.predict(["两个小时才送来，饭都凉了"]).loc[0, "reason"]
'delivery'
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.linear_model import SGDClassifier
from sklearn.preprocessing import normalize

from churnguard.errors import SchemaError
from churnguard.reasons.lexicon import read_text
from churnguard.reasons.text import normalise

MODEL_VERSION = "1"
N_FEATURES = 2**18
NGRAMS = (1, 4)
PRAISE = ("很好", "不错", "满意", "喜欢", "好评", "推荐", "给力", "很棒", "好用", "值得",
          "great", "love", "excellent", "awesome", "amazing", "recommend", "perfect",
          "thank", "best", "happy", "good")


_SPACES = re.compile(r"\s+")
_MULTIPLIERS = np.array([0x9E3779B1, 0x85EBCA77, 0xC2B2AE3D, 0x27D4EB2F], dtype=np.uint64)


def _clean(text: str | None) -> str:
    return _SPACES.sub(" ", normalise("" if text is None else str(text))).replace("\x00", "")


def _hash_columns(codes: np.ndarray, starts: np.ndarray, n: int) -> np.ndarray:
    """Hashed column of the n-gram of ``codes`` starting at each of ``starts`` (vectorised:
    a multiply-xor hash of the code points, mixed, modulo :data:`N_FEATURES`)."""
    mask = np.uint64(0xFFFFFFFF)
    h = np.full(len(starts), n * 0x165667B1, dtype=np.uint64)
    for k in range(n):  # n ≤ 4: a loop over positions in the n-gram, not over texts
        h = (h ^ (codes[starts + k].astype(np.uint64) * _MULTIPLIERS[k])) & mask
        h = (h * np.uint64(0x01000193) + np.uint64(k)) & mask
    h ^= h >> np.uint64(15)
    h = (h * np.uint64(0x2C1B3C6D)) & mask
    h ^= h >> np.uint64(12)
    return (h % np.uint64(N_FEATURES)).astype(np.int64)


def features(texts: Sequence[str | None]) -> sp.csr_matrix:
    """Hashed character 1–4-gram counts (spaces collapsed), L2-normalised, one row per text.

    All texts are joined into one array of code points and every n-gram is hashed at once,
    so there is no Python loop over n-grams.

    Examples
    --------
    >>> x = features(["太贵了", ""])
    >>> x.shape[0], x[0].nnz, x[1].nnz   # 3 + 2 + 1 distinct n-grams; an empty text has none
    (2, 6, 0)
    """
    raw = ["" if t is None else str(t).replace("\x00", "") for t in texts]
    joined = _SPACES.sub(" ", normalise("\x00".join(raw)))  # one call for all texts
    clean = joined.split("\x00")
    lengths = np.array([len(t) for t in clean], dtype=np.int64)
    codes = np.frombuffer(joined.encode("utf-32-le"), dtype=np.uint32)
    codes = np.append(codes, np.uint32(0))
    doc = np.repeat(np.arange(len(clean)), lengths + 1)
    breaks = np.concatenate([[0], np.cumsum(codes == 0)])
    rows, cols = [], []
    for n in range(NGRAMS[0], NGRAMS[1] + 1):
        starts = np.arange(max(len(codes) - n + 1, 0))
        starts = starts[breaks[starts + n] == breaks[starts]]  # no separator inside
        rows.append(doc[starts])
        cols.append(_hash_columns(codes, starts, n))
    keys, counts = np.unique(np.concatenate(rows) * N_FEATURES + np.concatenate(cols),
                             return_counts=True)  # sorted by text, then column
    indptr = np.searchsorted(keys, np.arange(len(clean) + 1) * N_FEATURES)
    matrix = sp.csr_matrix((counts.astype(np.float32), keys % N_FEATURES, indptr),
                           shape=(len(clean), N_FEATURES))
    return normalize(matrix)


def weak_labels(texts: Sequence[str], hints: Sequence[str] | None = None, *,
                min_confidence: float = 0.45) -> list[str | None]:
    """The lexicon's clear readings as training labels (``None`` = leave unlabelled).

    Examples
    --------
    >>> weak_labels(["太贵了", "很好用，推荐", "一般吧"])
    ['price', 'other', None]
    """
    hints = list(hints) if hints is not None else [""] * len(texts)
    out: list[str | None] = []
    for text, hint in zip(texts, hints, strict=True):
        reading = read_text(text)
        if reading.scores:
            clear = reading.reason != "other" and reading.confidence >= min_confidence
            out.append(reading.reason if clear else None)
        elif str(hint).lower() in ("positive", "5.0", "4.0") or any(
                w in normalise(text) for w in PRAISE):
            out.append("other")
        else:
            out.append(None)
    return out


@dataclass
class ShippedModel:
    """Weights of the shipped model (see the module notes). Use :func:`shipped_model`."""

    classes: np.ndarray
    weights: sp.csr_matrix  # classes × N_FEATURES
    intercept: np.ndarray
    temperature: float
    info: dict
    threshold: float = 0.5

    def logits(self, texts: Sequence[str]) -> np.ndarray:
        """Raw class scores, one row per text."""
        return np.asarray((features(texts) @ self.weights.T).todense()) + self.intercept

    def predict_proba(self, texts: Iterable[str | None]) -> np.ndarray:
        """Calibrated probabilities, one column per code in ``classes``."""
        z = self.logits(["" if t is None else str(t) for t in texts]) / self.temperature
        z -= z.max(axis=1, keepdims=True)
        e = np.exp(z)
        return e / e.sum(axis=1, keepdims=True)

    def predict(self, texts: Iterable[str | None]) -> pd.DataFrame:
        """``reason, confidence``; ``other`` with confidence 0 when unsure or no reason."""
        texts = ["" if t is None else str(t) for t in texts]
        proba = self.predict_proba(texts)
        best = proba.argmax(axis=1)
        confidence = proba.max(axis=1)
        reason = self.classes[best].astype(object)
        unsure = (confidence < self.threshold) | (reason == "other")
        unsure |= np.array([not t.strip() for t in texts], dtype=bool)
        reason[unsure] = "other"
        return pd.DataFrame({"reason": reason,
                             "confidence": np.where(unsure, 0.0, confidence.round(4))})

    # -- persistence ---------------------------------------------------------------------
    def save(self, path: str | Path) -> Path:
        """Write the weights as a compressed ``.npz`` (float16, pruned)."""
        path = Path(path)
        w = self.weights.tocsr()
        np.savez_compressed(
            path, classes=self.classes.astype(str), data=w.data.astype(np.float16),
            indices=w.indices.astype(np.int32), indptr=w.indptr.astype(np.int64),
            intercept=self.intercept.astype(np.float32),
            meta=np.array(json.dumps({"temperature": self.temperature, **self.info})))
        return path

    @classmethod
    def load(cls, path: str | Path) -> ShippedModel:
        """Read weights written by :meth:`save` (plain arrays: no code is unpickled)."""
        with np.load(path, allow_pickle=False) as data:
            classes = data["classes"].astype(object)
            weights = sp.csr_matrix((data["data"].astype(np.float32), data["indices"],
                                     data["indptr"]), shape=(len(classes), N_FEATURES))
            meta = json.loads(str(data["meta"]))
            return cls(classes, weights, data["intercept"].astype(np.float64),
                       float(meta.pop("temperature")), meta)


def explain(model: ShippedModel, text: str, reason: str, top: int = 3) -> str:
    """The (up to) ``top`` character n-grams of ``text`` that push it most towards
    ``reason`` (two characters or more, ``"; "``-joined).

    Examples
    --------
    >>> explain(shipped_model(), "骑手迷路了，饭都凉了", "delivery") != ""
    True
    """
    clean = _clean(text)
    grams = sorted({clean[i:i + n] for n in range(2, NGRAMS[1] + 1)
                    for i in range(len(clean) - n + 1) if clean[i:i + n].strip()})
    if not grams or reason not in set(model.classes):
        return ""
    row = int(np.flatnonzero(model.classes == reason)[0])
    codes = np.frombuffer("".join(grams).encode("utf-32-le"), dtype=np.uint32)
    sizes = np.array([len(g) for g in grams])
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    columns = np.zeros(len(grams), dtype=np.int64)
    for n in np.unique(sizes):  # one hash call per n-gram length
        columns[sizes == n] = _hash_columns(codes, starts[sizes == n], int(n))
    weights = model.weights[row].toarray().ravel()[columns]
    order = [i for i in np.argsort(-weights) if weights[i] > 0]
    chosen: list[str] = []
    for i in order:  # skip n-grams inside one already chosen
        gram = grams[i].strip()
        if not any(gram in c for c in chosen):
            chosen.append(gram)
        if len(chosen) == top:
            break
    return "; ".join(chosen)


def model_path() -> Path:
    """The shipped weights file inside the package."""
    return Path(str(resources.files("churnguard.reasons").joinpath(
        f"models/reasons-v{MODEL_VERSION}.npz")))


@lru_cache(maxsize=1)
def shipped_model() -> ShippedModel:
    """The shipped model (loaded once, offline)."""
    path = model_path()
    if not path.exists():
        raise SchemaError(f"the shipped reason model {path} is missing: reinstall churnguard "
                          f"or rebuild it with bench/reasons.py --train.")
    return ShippedModel.load(path)


# -- training ------------------------------------------------------------------------------
def _fit(x: sp.csr_matrix, y: np.ndarray, alpha: float, seed: int) -> SGDClassifier:
    model = SGDClassifier(loss="log_loss", alpha=alpha, max_iter=30, tol=1e-4,
                          class_weight="balanced", random_state=seed)
    return model.fit(x, y)


def _temperature(logits: np.ndarray, y_index: np.ndarray) -> float:
    """The temperature minimising held-out log-loss (grid search, 0.3–5)."""
    best, best_loss = 1.0, np.inf
    for t in np.exp(np.linspace(np.log(0.3), np.log(5.0), 60)):
        z = logits / t
        z = z - z.max(axis=1, keepdims=True)
        log_p = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
        loss = -log_p[np.arange(len(y_index)), y_index].mean()
        if loss < best_loss:
            best, best_loss = float(t), loss
    return best


def _prune(coef: np.ndarray, keep: int) -> sp.csr_matrix:
    flat = np.abs(coef).ravel()
    if keep < flat.size:
        cut = np.partition(flat, flat.size - keep)[flat.size - keep]
        coef = np.where(np.abs(coef) >= cut, coef, 0.0)
    return sp.csr_matrix(coef.astype(np.float32))


def train_weak(texts: Sequence[str], hints: Sequence[str] | None = None, *,
               alpha: float = 2e-6,
               self_train_at: float = 0.9, keep: int = 150_000, seed: int = 0,
               labels: Sequence[str | None] | None = None) -> ShippedModel:
    """Train the shipped model from unlabelled texts (see the module notes).

    Returns the model with ``info`` recording the data sizes, the held-out agreement with the
    weak labels and the pseudo-labels added by self-training.
    """
    texts = [str(t) for t in texts]
    weak = list(labels) if labels is not None else weak_labels(texts, hints)
    rng = np.random.default_rng(seed)
    labelled = np.array([w is not None for w in weak])
    y_all = np.array([w if w is not None else "" for w in weak], dtype=object)
    held = labelled & (rng.random(len(texts)) < 0.15)
    train = labelled & ~held
    x = features(texts)
    first = _fit(x[train], y_all[train].astype(str), alpha, seed)
    classes = first.classes_
    index = {c: i for i, c in enumerate(classes)}
    held_y = np.array([index[c] for c in y_all[held]])
    temperature = _temperature(first.decision_function(x[held]), held_y)
    # self-training: confident readings of the texts the lexicon left unlabelled
    pool = np.flatnonzero(~labelled)
    z = first.decision_function(x[pool]) / temperature
    z -= z.max(axis=1, keepdims=True)
    proba = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    sure = proba.max(axis=1) >= self_train_at
    pseudo = classes[proba.argmax(axis=1)]
    rows = np.concatenate([np.flatnonzero(train), pool[sure]])
    y = np.concatenate([y_all[train].astype(str), pseudo[sure]])
    final = _fit(x[rows], y, alpha, seed)
    temperature = _temperature(final.decision_function(x[held]), held_y)
    weights = _prune(final.coef_, keep)
    model = ShippedModel(final.classes_.astype(object), weights, final.intercept_,
                         temperature, {})
    agree = model.predict_proba([texts[i] for i in np.flatnonzero(held)]).argmax(axis=1)
    model.info = {
        "version": MODEL_VERSION, "texts": len(texts), "weak_labelled": int(labelled.sum()),
        "held_out": int(held.sum()), "self_trained": int(sure.sum()),
        "held_out_agreement": round(float((agree == held_y).mean()), 4),
        "class_counts": {str(c): int((y == c).sum()) for c in final.classes_},
        "ngrams": list(NGRAMS), "n_features": N_FEATURES, "kept_weights": int(weights.nnz),
    }
    return model
