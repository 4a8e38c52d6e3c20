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

``--real``: the real evaluation set (447 texts from public review and complaint corpora,
labelled by reading; ``tests/data/reasons_real_labels.csv``), read in the same run by the
classifier of ``--baseline`` (default: the commit before issue 19, run from ``git archive`` in
a subprocess), today's lexicon alone, lexicon + shipped model (the default ``classify``) and the
shipped model alone. Prints macro-F1 overall / per language / per source, per-code precision,
recall and F1, the confusion matrix, the hand-written set as a regression check, and speed.

``--train``: rebuild the shipped model from the ``build`` split of the public corpora and write
it to ``src/churnguard/reasons/models/``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score

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

ROOT = Path(__file__).resolve().parents[1]
EVAL = ROOT / "tests" / "data" / "reasons_eval.csv"
BASELINE = "4da74b8"  # main before issue 19: lexicon only
_OLD_RUNNER = """
import json, sys
from churnguard.reasons.classifier import classify
texts = json.load(sys.stdin)
print(json.dumps(classify(texts)["reason"].tolist()))
"""


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


def old_classify(texts: list[str], commit: str) -> list[str]:
    """Reasons read by the classifier of ``commit`` (its source, in a subprocess)."""
    with tempfile.TemporaryDirectory() as tmp:
        archive = subprocess.run(["git", "-C", str(ROOT), "archive", commit, "src"],
                                 capture_output=True, check=True).stdout
        subprocess.run(["tar", "-x", "-C", tmp], input=archive, check=True)
        out = subprocess.run([sys.executable, "-c", _OLD_RUNNER], input=json.dumps(texts),
                             capture_output=True, text=True, check=True,
                             env={**os.environ, "PYTHONPATH": f"{tmp}/src"})
    return json.loads(out.stdout)


def train_shipped(args: argparse.Namespace) -> None:
    from churnguard.reasons.corpora import load_corpora
    from churnguard.reasons.shipped import model_path, train_weak

    corpora = load_corpora()
    build = corpora[corpora["split"] == "build"]
    model, seconds = timed(lambda: train_weak(build["text"].tolist(), build["hint"].tolist()))
    path = model.save(args.output or model_path())
    print(json.dumps({"train_s": round(seconds, 1), "bytes": path.stat().st_size,
                      "temperature": round(model.temperature, 3), **model.info}, indent=2,
                     ensure_ascii=False))


def real(args: argparse.Namespace) -> None:
    from churnguard.reasons.corpora import load_corpora
    from churnguard.reasons.evaluation import (
        confusion,
        macro_f1,
        per_code,
        read_real_set,
        slice_figures,
    )
    from churnguard.reasons.shipped import shipped_model

    frame = read_real_set()
    texts = frame["text"].tolist()
    hand = read_eval_set(EVAL)
    runs = {
        "before": lambda t: old_classify(t, args.baseline),
        "lexicon": lambda t: classifier.classify(t, shipped=False)["reason"].tolist(),
        "lexicon+shipped": lambda t: classifier.classify(t)["reason"].tolist(),
        "shipped_alone": lambda t: shipped_model().predict(t)["reason"].tolist(),
    }
    result = {"data": {"texts": len(frame), "by_lang": frame["lang"].value_counts().to_dict(),
                       "by_source": frame["source"].value_counts().to_dict(),
                       "by_code": frame["reason"].value_counts().to_dict()},
              "baseline_commit": args.baseline, "macro_f1": {}, "hand_written_regression": {},
              "macro_f1_codes_with_5plus": {}}
    big = {lang: sorted(c for c, n in part["reason"].value_counts().items() if n >= 5)
           for lang, part in frame.groupby("lang")}
    tables = {}
    for name, run in runs.items():
        clear_caches()
        frame[name] = run(texts)
        result["macro_f1"][name] = slice_figures(frame, name)
        result["macro_f1_codes_with_5plus"][name] = {
            lang: round(float(f1_score(part["reason"], part[name], labels=big[lang],
                                       average="macro", zero_division=0)), 4)
            for lang, part in frame.groupby("lang")}
        if name in ("before", "lexicon", "lexicon+shipped"):
            result["hand_written_regression"][name] = macro_f1(hand["reason"],
                                                               run(hand["text"].tolist()))
        tables[name] = per_code(frame["reason"], frame[name])
    corpora = load_corpora()
    pool = (corpora.loc[corpora["split"] == "build", "text"].drop_duplicates()
            .sample(args.speed_texts, random_state=0).tolist())
    shipped_model()  # loaded once, like a running service; jieba's dictionary too:
    _, result["jieba_and_model_load_s"] = timed(lambda: classifier.classify(["价格太贵 too"]))
    speeds = {}
    for name, run in (("lexicon", lambda: classifier.classify(pool, shipped=False)),
                      ("lexicon+shipped", lambda: classifier.classify(pool)),
                      ("shipped_alone", lambda: shipped_model().predict(pool))):
        clear_caches()
        speeds[name] = round(len(pool) / timed(run)[1])
    result["speed_texts_per_s"] = {
        "texts": len(pool), "mean_chars": round(float(np.mean([len(t) for t in pool])), 1),
        "note": "distinct build-split texts, reading caches cleared before each reader, "
                "after jieba and the model were loaded",
        **speeds, "load_average": [round(x, 1) for x in os.getloadavg()]}
    print(json.dumps(result, indent=2, ensure_ascii=False))
    for name in ("before", "lexicon+shipped"):
        print(f"\n## per code: {name}\n{tables[name].to_string(index=False)}")
        print(f"\n## confusion: {name}\n{confusion(frame['reason'], frame[name]).to_string()}")
    if args.dump:
        frame.to_csv(args.dump, index=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=20_000)
    parser.add_argument("--real", action="store_true", help="the real evaluation set")
    parser.add_argument("--baseline", default=BASELINE, help="commit of the 'before' reader")
    parser.add_argument("--dump", help="with --real: write every text's readings to this CSV")
    parser.add_argument("--train", action="store_true", help="rebuild the shipped model")
    parser.add_argument("--output", help="with --train: where to write the model")
    parser.add_argument("--speed-texts", type=int, default=5_000,
                        help="with --real: distinct texts to time the readers on")
    args = parser.parse_args()
    if args.train:
        return train_shipped(args)
    if args.real:
        return real(args)
    tables, gen_s = timed(lambda: synth.generate(customers=args.customers, years=3, seed=11,
                                                  end=synth.REFERENCE_END))
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
