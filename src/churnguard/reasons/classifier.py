"""Reading churn reasons from text: :func:`classify` and the trainable :class:`ReasonClassifier`.

Layer 1 is the phrase lexicon (:mod:`churnguard.reasons.lexicon`), which needs no training data.
Layer 2 is a scikit-learn model: TF-IDF over words (English stems and jieba words, with
bigrams) and characters (1–3-grams, which read Chinese without segmentation errors), plus the
lexicon's per-reason scores as fifteen extra features, into a class-balanced logistic
regression. Where the model's top probability is below ``threshold`` and the lexicon matched a
phrase, the lexicon's reading is used instead (``source`` says which layer answered).

Examples
--------
>>> classify(["太贵了", "Support never answers our calls"])[["reason", "lang"]]
    reason lang
0    price   zh
1  service   en
"""

from __future__ import annotations

import pickle
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from threadpoolctl import threadpool_limits

from churnguard.churn import midnight, to_date
from churnguard.errors import NotFittedError, SchemaError
from churnguard.reasons.lexicon import Lexicon, default_lexicon, read_text
from churnguard.reasons.taxonomy import Taxonomy, default_taxonomy
from churnguard.reasons.text import CJK, EN_TOKEN, LANGS, jieba_tokenizer, normalise, stem

if TYPE_CHECKING:
    from churnguard.workspace import Workspace

RESULT_COLUMNS = ["reason", "confidence", "matched_terms", "lang", "source"]


def _as_texts(texts: Iterable[str | None] | str) -> list[str]:
    if isinstance(texts, str):
        raise SchemaError("classify expects a list or Series of texts, got one string. "
                          "Wrap it in a list: classify([text]).")
    return ["" if t is None or (not isinstance(t, str) and pd.isna(t)) else str(t)
            for t in texts]


def _check_lang(lang: str) -> None:
    if lang not in LANGS:
        raise SchemaError(f"lang={lang!r} is not supported. Use one of {', '.join(LANGS)}.")


def classify(
    texts: Iterable[str | None],
    *,
    lang: str = "auto",
    model: ReasonClassifier | None = None,
    lexicon: Lexicon | None = None,
    taxonomy: Taxonomy | None = None,
    shipped: bool = True,
) -> pd.DataFrame:
    """The churn reason of each text.

    Parameters
    ----------
    texts
        Complaint or exit-survey texts (Chinese, English or mixed); ``None`` is read as empty.
    lang
        ``"auto"`` (detect per text), ``"zh"``, ``"en"`` or ``"mixed"``.
    model
        A fitted :class:`ReasonClassifier`; without it only the lexicon reads the texts.
    lexicon, taxonomy
        Override the built-in lexicon / taxonomy (tie-break order of reasons).
    shipped
        Let the shipped model (:mod:`churnguard.reasons.shipped`) read the texts in which the
        lexicon found no phrase; it answers only when its calibrated confidence reaches its
        threshold (``source = "shipped"``), else the text stays ``other`` with confidence 0.

    Returns
    -------
    DataFrame
        One row per text, in order: ``reason`` (a taxonomy code), ``confidence`` (0–1),
        ``matched_terms`` (the phrases or model words that decided it, ``"; "``-joined),
        ``lang`` (``zh``, ``en``, ``mixed``, ``unknown``) and ``source`` (``lexicon``,
        ``shipped`` or ``model``).

    Examples
    --------
    >>> classify(["价格没问题，就是发货太慢"]).loc[0, ["reason", "matched_terms"]].tolist()
    ['delivery', '发货太慢']
    """
    _check_lang(lang)
    if model is not None:
        return model.predict(texts, lang=lang)
    texts = _as_texts(texts)
    frame = _lexicon_frame(texts, lang=lang, lexicon=lexicon, taxonomy=taxonomy)
    return _with_shipped(frame, texts) if shipped else frame


def _with_shipped(frame: pd.DataFrame, texts: list[str]) -> pd.DataFrame:
    """Where the lexicon found nothing, the shipped model's confident reading."""
    from churnguard.reasons.shipped import explain, shipped_model

    nothing = ((frame["confidence"] == 0) & (frame["matched_terms"] == "")).to_numpy(dtype=bool)
    unread = np.flatnonzero(nothing & np.array([bool(t.strip()) for t in texts], dtype=bool))
    if not len(unread):
        return frame
    model = shipped_model()
    read = model.predict([texts[i] for i in unread])
    got = (read["reason"] != "other").to_numpy()
    rows = unread[got]
    if len(rows):
        reasons = read["reason"].to_numpy()[got]
        frame.loc[rows, "reason"] = reasons
        frame.loc[rows, "confidence"] = read["confidence"].to_numpy()[got]
        frame.loc[rows, "matched_terms"] = [explain(model, texts[i], r)
                                            for i, r in zip(rows, reasons, strict=True)]
        frame.loc[rows, "source"] = "shipped"
    return frame


def _lexicon_frame(texts: list[str], *, lang: str, lexicon: Lexicon | None,
                   taxonomy: Taxonomy | None) -> pd.DataFrame:
    order = (taxonomy or default_taxonomy()).codes
    readings = [read_text(t, lexicon, lang=lang, order=order) for t in texts]
    return pd.DataFrame({
        "reason": [r.reason for r in readings],
        "confidence": np.array([r.confidence for r in readings], dtype="float64"),
        "matched_terms": ["; ".join(r.terms) for r in readings],
        "lang": [r.lang for r in readings],
        "source": "lexicon",
    }, columns=RESULT_COLUMNS)


def labelled_interactions(ws: Workspace, *,
                          as_of: date | datetime | str | None = None) -> pd.DataFrame:
    """Training rows: interactions with both a text and a reason (before ``as_of``).

    Returns ``text, reason, kind, ts`` with reasons trimmed and lower-cased.
    """
    rows = ws.table("interactions")
    rows = rows.filter(rows.text.notnull(), rows.reason.notnull(), rows.text.strip() != "",
                       rows.reason.strip() != "")
    if as_of is not None:
        rows = rows.filter(rows.ts < midnight(to_date(as_of)))
    rows = rows.order_by(["ts", "interaction_id"])  # a stable order: samples repeat
    frame = rows.select("text", "reason", "kind", "ts").to_pandas()
    frame["reason"] = frame["reason"].str.strip().str.lower()
    return frame


@lru_cache(maxsize=65_536)
def word_tokens(text: str) -> tuple[str, ...]:
    """Word features: English stems and jieba words, plus adjacent-word bigrams.

    Examples
    --------
    >>> word_tokens("Prices went up")
    ('pric', 'went', 'up', 'pric went', 'went up')
    """
    clean = normalise(text)
    words: list[str] = []
    for token in EN_TOKEN.findall(clean):
        if token[0].isalnum():
            words.append(stem(token))
        elif CJK.match(token):
            words.append(token)
    if CJK.search(clean):
        words = [w for w in words if not CJK.match(w)]
        tokenizer = jieba_tokenizer(default_lexicon().chinese_words)
        words += [w for w in tokenizer.lcut(clean) if CJK.match(w)]
    return (*words, *(f"{a} {b}" for a, b in zip(words, words[1:], strict=False)))


def _lexicon_scores(texts: Sequence[str], codes: Sequence[str],
                    lexicon: Lexicon | None) -> sp.csr_matrix:
    index = {c: i for i, c in enumerate(codes)}
    rows, cols, values = [], [], []
    for row, text in enumerate(texts):
        for reason, score in read_text(text, lexicon).scores.items():
            if reason in index:
                rows.append(row)
                cols.append(index[reason])
                values.append(min(score, 6.0) / 6.0)
    return sp.csr_matrix((values, (rows, cols)), shape=(len(texts), len(codes)))


class ReasonClassifier:
    """TF-IDF (words + characters) and lexicon scores into a logistic regression, with the
    lexicon as fallback where the model is unsure.

    Parameters
    ----------
    threshold
        Below this top probability the lexicon's reading is used, when it matched anything.
    C
        Inverse regularisation strength of the logistic regression.
    lexicon
        The lexicon used for features and fallback (built-in by default).
    taxonomy
        Reason order for ties (built-in by default).

    Examples
    --------
    >>> model = ReasonClassifier().fit(
    ...     ["太贵了", "价格太高", "too expensive", "发货太慢", "快递没到", "late delivery"],
    ...     ["price", "price", "price", "delivery", "delivery", "delivery"])
    >>> model.predict(["货还没到"]).loc[0, "reason"]
    'delivery'
    """

    def __init__(self, *, threshold: float = 0.35, C: float = 10.0,
                 lexicon: Lexicon | None = None, taxonomy: Taxonomy | None = None) -> None:
        self.threshold = threshold
        self.C = C
        self.lexicon = lexicon
        self.taxonomy = taxonomy

    # -- fitting -------------------------------------------------------------------------
    def fit(self, texts: Iterable[str | None], reasons: Iterable[str]) -> ReasonClassifier:
        """Fit on labelled texts (e.g. ``interactions.text`` with ``interactions.reason``)."""
        texts = _as_texts(texts)
        labels = [None if r is None or (not isinstance(r, str) and pd.isna(r)) else str(r)
                  for r in reasons]
        self._check_training(texts, labels)
        codes = (self.taxonomy or default_taxonomy()).codes
        self.codes_ = tuple(dict.fromkeys([*codes, *sorted(set(labels))]))
        self.words_ = TfidfVectorizer(analyzer=word_tokens, sublinear_tf=True, min_df=1)
        self.chars_ = TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 3),
                                      sublinear_tf=True, min_df=2, preprocessor=normalise)
        features = sp.hstack([self.words_.fit_transform(texts), self.chars_.fit_transform(texts),
                              _lexicon_scores(texts, self.codes_, self.lexicon)]).tocsr()
        self.model_ = LogisticRegression(C=self.C, max_iter=500, class_weight="balanced",
                                         solver="newton-cg")
        with threadpool_limits(limits=1, user_api="blas"):  # tiny matrices: threads only contend
            self.model_.fit(features, labels)
        self.classes_ = self.model_.classes_
        self.feature_names_ = np.concatenate([
            self.words_.get_feature_names_out(), self.chars_.get_feature_names_out(),
            np.array([f"lexicon:{c}" for c in self.codes_], dtype=object)])
        return self

    @staticmethod
    def _check_training(texts: list[str], labels: list[str | None]) -> None:
        if len(texts) != len(labels):
            raise SchemaError(f"fit got {len(texts)} texts but {len(labels)} reasons; pass one "
                              f"reason per text.")
        missing = sum(label is None for label in labels)
        if missing:
            raise SchemaError(f"fit got {missing} texts without a reason. Keep only labelled "
                              f"rows, e.g. interactions where reason is not null.")
        if len(set(labels)) < 2:
            raise SchemaError(f"fit needs at least two different reasons, got "
                              f"{sorted(set(labels))}. Label more texts first.")

    # -- predicting ----------------------------------------------------------------------
    def _features(self, texts: list[str]) -> sp.csr_matrix:
        if not hasattr(self, "model_"):
            raise NotFittedError("this ReasonClassifier is not fitted yet. Call fit(texts, "
                                 "reasons) first, e.g. on labelled interactions.")
        return sp.hstack([self.words_.transform(texts), self.chars_.transform(texts),
                          _lexicon_scores(texts, self.codes_, self.lexicon)]).tocsr()

    def predict_proba(self, texts: Iterable[str | None]) -> np.ndarray:
        """Probabilities, one column per code in ``classes_``."""
        features = self._features(_as_texts(texts))
        return self.model_.predict_proba(features)

    def predict(self, texts: Iterable[str | None], *, lang: str = "auto") -> pd.DataFrame:
        """Like :func:`classify`: ``reason, confidence, matched_terms, lang, source``."""
        _check_lang(lang)
        texts = _as_texts(texts)
        features = self._features(texts)
        proba = self.model_.predict_proba(features)
        best = proba.argmax(axis=1)
        frame = _lexicon_frame(texts, lang=lang, lexicon=self.lexicon, taxonomy=self.taxonomy)
        use_model = (proba.max(axis=1) >= self.threshold) | (frame["confidence"] == 0).to_numpy()
        use_model &= np.array([bool(t.strip()) for t in texts], dtype=bool)
        explained = self._explain(features, best, use_model, texts)
        frame.loc[use_model, "reason"] = self.classes_[best[use_model]]
        frame.loc[use_model, "confidence"] = proba.max(axis=1)[use_model].round(4)
        frame.loc[use_model, "matched_terms"] = explained
        frame.loc[use_model, "source"] = "model"
        return frame

    def _explain(self, features: sp.csr_matrix, best: np.ndarray, rows: np.ndarray,
                 texts: list[str], top: int = 3) -> list[str]:
        """The (up to) three features that pushed each row most towards its reason: words and
        the lexicon's phrases first (readable), character n-grams only when nothing else."""
        coef = self.model_.coef_
        n_words = len(self.words_.vocabulary_)
        n_chars = len(self.chars_.vocabulary_)
        out = []
        for row in np.flatnonzero(rows):
            vector = features.getrow(row)
            if coef.shape[0] > 1:
                weights = vector.data * coef[best[row], vector.indices]
            else:  # binary: coef_ points towards classes_[1]
                weights = vector.data * coef[0, vector.indices] * (1 if best[row] else -1)
            is_char = (vector.indices >= n_words) & (vector.indices < n_words + n_chars)
            readable = np.flatnonzero((weights > 0) & ~is_char)
            chosen = readable if len(readable) else np.flatnonzero(weights > 0)
            chosen = chosen[np.argsort(-weights[chosen])][:top]
            names = [self._feature_label(vector.indices[i], texts[row]) for i in chosen]
            parts = [part for name in names for part in name.split("; ") if part]
            out.append("; ".join(dict.fromkeys(parts)))
        return out

    def _feature_label(self, index: int, text: str) -> str:
        name = str(self.feature_names_[index]).strip()
        if name.startswith("lexicon:"):  # show the phrases, not the feature's name
            reading = read_text(text, self.lexicon)
            return "; ".join(reading.phrases.get(name.split(":", 1)[1], ()))
        return name

    # -- persistence ---------------------------------------------------------------------
    def save(self, path: str | Path) -> Path:
        """Pickle the fitted model to ``path``."""
        path = Path(path)
        path.write_bytes(pickle.dumps(self))
        return path

    @classmethod
    def load(cls, path: str | Path) -> ReasonClassifier:
        """Load a model written by :meth:`save` (only load files you trust)."""
        model = pickle.loads(Path(path).read_bytes())
        if not isinstance(model, cls):
            raise SchemaError(f"{path} does not hold a ReasonClassifier.")
        return model
