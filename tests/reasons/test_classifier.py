"""Layer 2: the trainable ReasonClassifier and its fallback to the lexicon."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from churnguard.errors import NotFittedError, SchemaError
from churnguard.reasons.classifier import RESULT_COLUMNS, ReasonClassifier, classify

TRAIN = [
    ("太贵了", "price"), ("价格太高，撑不住", "price"), ("涨价太多", "price"),
    ("too expensive", "price"), ("prices went up too much", "price"),
    ("can't afford it anymore", "price"),
    ("发货太慢", "delivery"), ("快递一直没到", "delivery"), ("物流太慢了", "delivery"),
    ("late delivery again", "delivery"), ("the shipment never arrived", "delivery"),
    ("courier lost the parcel", "delivery"),
    ("客服不回复", "service"), ("售后没人管", "service"), ("客服态度差", "service"),
    ("support never answers", "service"), ("rude customer service", "service"),
    ("help desk ignored the ticket", "service"),
]


@pytest.fixture(scope="module")
def model() -> ReasonClassifier:
    texts, reasons = zip(*TRAIN, strict=True)
    return ReasonClassifier().fit(list(texts), list(reasons))


def test_classify_returns_documented_columns_in_order():
    frame = classify(["太贵了", None, "late delivery", "价格没问题，就是售后跟不上"])
    assert list(frame.columns) == RESULT_COLUMNS
    assert frame["reason"].tolist() == ["price", "other", "delivery", "service"]
    assert frame["lang"].tolist() == ["zh", "unknown", "en", "zh"]
    assert frame.loc[1, "confidence"] == 0.0
    assert frame.loc[0, "matched_terms"] == "太贵"
    assert (frame["source"] == "lexicon").all()


def test_classify_rejects_a_bare_string_and_bad_lang():
    with pytest.raises(SchemaError, match="Wrap it in a list"):
        classify("太贵了")
    with pytest.raises(SchemaError, match="lang='fr' is not supported"):
        classify(["x"], lang="fr")


def test_model_learns_chinese_english_and_mixed(model):
    frame = model.predict(["物流很慢，还没到", "the parcel is late", "support 不回复"])
    assert frame["reason"].tolist() == ["delivery", "delivery", "service"]
    assert set(frame["source"]) == {"model"}
    assert frame["matched_terms"].str.len().min() > 0  # the words that pushed it


def test_probabilities_sum_to_one(model):
    proba = model.predict_proba(["太贵了", "late"])
    assert proba.shape == (2, 3)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert list(model.classes_) == ["delivery", "price", "service"]


def test_falls_back_to_lexicon_when_unsure():
    texts, reasons = zip(*TRAIN, strict=True)
    strict = ReasonClassifier(threshold=0.99).fit(list(texts), list(reasons))
    # billing was never trained; the lexicon knows invoices
    frame = strict.predict(["the invoice was wrong twice"])
    assert frame.loc[0, "reason"] == "billing"
    assert frame.loc[0, "source"] == "lexicon"
    # no lexicon phrase at all: the model keeps its answer
    assert strict.predict(["zzz qqq"]).loc[0, "source"] == "model"


def test_classify_with_model_and_save_load(model, tmp_path):
    path = model.save(tmp_path / "reasons.pkl")
    loaded = ReasonClassifier.load(path)
    text = ["快递太慢"]
    pd.testing.assert_frame_equal(classify(text, model=loaded), model.predict(text))


def test_errors_say_what_to_fix():
    with pytest.raises(NotFittedError, match="not fitted yet"):
        ReasonClassifier().predict(["x"])
    with pytest.raises(SchemaError, match="without a reason"):
        ReasonClassifier().fit(["a", "b"], ["price", None])
    with pytest.raises(SchemaError, match="at least two different reasons"):
        ReasonClassifier().fit(["a", "b"], ["price", "price"])
    with pytest.raises(SchemaError, match="2 texts but 1 reasons"):
        ReasonClassifier().fit(["a", "b"], ["price"])


def test_missing_values_of_any_kind_read_as_empty():
    frame = classify(pd.Series(["太贵了", pd.NA, np.nan, None], dtype=object))
    assert frame["reason"].tolist() == ["price", "other", "other", "other"]
    assert classify([]).columns.tolist() == RESULT_COLUMNS


def test_chinese_works_offline_and_quietly():
    import subprocess
    import sys

    code = ("from churnguard.reasons import classify;"
            "print(classify(['价格没问题，就是物流太慢了']).loc[0, 'reason'])")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120, env={"PATH": "", "HOME": "/nonexistent"})
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "delivery"
    assert done.stderr == ""  # jieba's "Building prefix dict…" chatter is silenced


def test_labelled_interactions_respects_as_of(tmp_path):
    from tests.factories import make_workspace

    from churnguard.reasons.classifier import labelled_interactions

    interactions = pd.DataFrame({
        "interaction_id": ["1", "2", "3", "4"], "customer_id": "a",
        "ts": ["2024-01-01", "2024-02-01", "2024-03-01", "2024-01-15"],
        "kind": "complaint", "text": ["太贵了", "late", "slow", None],
        "reason": [" Price", "delivery", "delivery", "price"]})
    ws = make_workspace(tmp_path / "ws", interactions=interactions)
    rows = labelled_interactions(ws, as_of="2024-03-01")
    ws.close()
    assert rows[["text", "reason"]].values.tolist() == [["太贵了", "price"],
                                                       ["late", "delivery"]]


def test_explanations_are_words_and_phrases_for_either_class():
    model = ReasonClassifier().fit(["太贵了", "价格太高", "发货太慢", "快递没到"],
                                   ["price", "price", "delivery", "delivery"])
    frame = model.predict(["太贵", "快递太慢"])
    assert frame["reason"].tolist() == ["price", "delivery"]
    assert "太贵" in frame.loc[0, "matched_terms"].split("; ")
    assert "快递太慢" in frame.loc[1, "matched_terms"].split("; ")  # binary: the other class too
    assert "lexicon:" not in "".join(frame["matched_terms"])
