"""Benchmark: reading churn reasons — accuracy (macro-F1) and speed, against baselines.

Data: the hand-written set ``tests/data/reasons_eval.csv`` (186 texts) plus the labelled,
distinct texts of ``churnguard.synth.generate(customers=N, years=3, seed=11)`` interactions,
halved into synth-train / synth-test (see ``churnguard.reasons.evaluation`` for the protocol:
5-fold cross-validation, no text is scored by a model trained on it).

Compared in the same run, on the same folds:

- ``lexicon``: layer 1 alone (no training);
- ``model``: ``ReasonClassifier`` (TF-IDF words + characters + lexicon scores, logistic
  regression, lexicon fallback below probability 0.35);
- ``plain_tfidf`` (baseline): the same TF-IDF + logistic regression without lexicon features
  or fallback;
- ``majority`` (baseline): always the most frequent training reason.

Speed: texts per second to classify every distinct interaction text (lexicon, cold caches)
and to predict with the fitted model, against the plain TF-IDF baseline.
Run: ``.venv/bin/python bench/reasons.py --customers 20000``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from churnguard import synth
from churnguard.reasons import classifier, lexicon
from churnguard.reasons.classifier import ReasonClassifier, word_tokens
from churnguard.reasons.evaluation import (
    evaluate_lexicon,
    evaluate_model,
    read_eval_set,
    split_synth,
    synth_labelled,
)
from churnguard.reasons.text import normalise

EVAL = Path(__file__).resolve().parents[1] / "tests" / "data" / "reasons_eval.csv"


class PlainTfidf:
    """Baseline: word + character TF-IDF into a logistic regression, nothing else."""

    def fit(self, texts: pd.Series, reasons: pd.Series) -> PlainTfidf:
        self.words = TfidfVectorizer(analyzer=word_tokens, sublinear_tf=True)
        self.chars = TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 3), sublinear_tf=True,
                                     min_df=2, preprocessor=normalise)
        features = sp.hstack([self.words.fit_transform(texts), self.chars.fit_transform(texts)])
        self.model = LogisticRegression(C=10.0, max_iter=500, class_weight="balanced",
                                        solver="newton-cg").fit(features, reasons)
        return self

    def predict(self, texts: pd.Series) -> pd.DataFrame:
        features = sp.hstack([self.words.transform(texts), self.chars.transform(texts)])
        return pd.DataFrame({"reason": self.model.predict(features), "source": "plain"})


class Majority:
    """Baseline: the most frequent reason of the training texts."""

    def fit(self, texts: pd.Series, reasons: pd.Series) -> Majority:
        self.reason = pd.Series(list(reasons)).mode().iloc[0]
        return self

    def predict(self, texts: pd.Series) -> pd.DataFrame:
        return pd.DataFrame({"reason": [self.reason] * len(texts), "source": "majority"})


def clear_caches() -> None:
    lexicon._read_cached.cache_clear()
    classifier.word_tokens.cache_clear()


def timed(fn, *args):
    began = time.perf_counter()
    out = fn(*args)
    return out, time.perf_counter() - began


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=20_000)
    args = parser.parse_args()
    tables, gen_s = timed(lambda: synth.generate(customers=args.customers, years=3, seed=11))
    interactions = tables["interactions"]
    synth_set = synth_labelled(interactions)
    train, test = split_synth(synth_set, seed=0)
    hand = read_eval_set(EVAL)
    result = {"machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                          "platform": platform.platform()},
              "data": {"customers": args.customers, "interactions": len(interactions),
                       "synth_labelled_distinct": len(synth_set), "synth_train": len(train),
                       "synth_test": len(test), "hand_written": len(hand)},
              "generate_s": round(gen_s, 1), "macro_f1": {}}
    result["macro_f1"]["lexicon"], _ = evaluate_lexicon(hand, test)
    for name, factory in (("model", None), ("plain_tfidf", PlainTfidf), ("majority", Majority)):
        figures, frame = evaluate_model(hand, train, test, make_model=factory)
        result["macro_f1"][name] = figures
        if name == "model":
            result["model_fallback_share"] = round(float((frame["source"] == "lexicon").mean()),
                                                   3)
    texts = interactions["text"].dropna().drop_duplicates().tolist()
    clear_caches()
    _, lexicon_s = timed(classifier.classify, texts)
    both = pd.concat([train, hand], ignore_index=True)
    model = ReasonClassifier().fit(both["text"], both["reason"])
    plain = PlainTfidf().fit(both["text"], both["reason"])
    clear_caches()
    _, model_s = timed(model.predict, texts)
    clear_caches()
    _, plain_s = timed(plain.predict, pd.Series(texts))
    result["speed_texts_per_s"] = {
        "texts": len(texts), "lexicon": round(len(texts) / lexicon_s),
        "model": round(len(texts) / model_s), "plain_tfidf_baseline": round(len(texts) / plain_s),
        "model_vs_baseline_time_ratio": round(model_s / plain_s, 2),
        "lexicon_vs_baseline_time_ratio": round(lexicon_s / plain_s, 2)}
    print(json.dumps(result, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    np.seterr(all="ignore")
    main()
