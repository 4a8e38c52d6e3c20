"""The shipped model: weak labels, training, calibration, the weights file, and classify."""

from __future__ import annotations

import zipfile

import numpy as np
import pytest

from churnguard.reasons.classifier import classify
from churnguard.reasons.shipped import (
    ShippedModel,
    explain,
    model_path,
    shipped_model,
    train_weak,
    weak_labels,
)


def test_weak_labels_take_clear_readings_praise_and_hints():
    texts = ["太贵了", "很好用，推荐", "一般吧", "great seats", "ok", "发货太慢，客服也不回复"]
    hints = ["", "", "", "", "positive", ""]
    # 太贵了: price, clear; praise → other; 一般吧: nothing read, no praise → unlabelled;
    # "great seats": praise → other; "ok" with a positive hint → other; the last reads two
    # reasons with equal weight (confidence 2/5 < 0.45) → unlabelled
    assert weak_labels(texts, hints) == ["price", "other", None, "other", "other", None]


TRAIN = (["太贵了", "价格太高", "涨价了", "too expensive", "overpriced"] * 6
         + ["物流太慢", "快递没到", "发货慢", "late delivery", "parcel never arrived"] * 6
         + ["很好用", "不错", "满意", "great", "love it"] * 6)
LABELS = ["price"] * 30 + ["delivery"] * 30 + ["other"] * 30


@pytest.fixture(scope="module")
def tiny():
    return train_weak(TRAIN + ["这价太离谱了", "送了三天还没到"], labels=LABELS + [None, None],
                      keep=5_000)


def test_training_reports_what_it_used(tiny):
    assert tiny.info["texts"] == 92
    assert tiny.info["weak_labelled"] == 90
    assert tiny.info["held_out"] > 0
    assert 0.3 <= tiny.temperature <= 5.0
    assert tiny.weights.nnz <= 5_000
    assert set(tiny.classes) == {"price", "delivery", "other"}


def test_probabilities_sum_to_one_and_predictions_follow_them(tiny):
    proba = tiny.predict_proba(["快递太慢了", "价格太贵"])
    assert np.allclose(proba.sum(axis=1), 1.0)
    frame = tiny.predict(["快递太慢了", "价格太贵"])
    assert frame["reason"].tolist() == ["delivery", "price"]
    assert (frame["confidence"] > 0.5).all()


def test_unsure_and_other_answer_other_with_zero_confidence(tiny):
    unsure = ShippedModel(tiny.classes, tiny.weights, tiny.intercept, tiny.temperature,
                          tiny.info, threshold=1.01)
    frame = unsure.predict(["快递太慢了", "", None])
    assert frame["reason"].tolist() == ["other"] * 3
    assert frame["confidence"].tolist() == [0.0] * 3
    assert tiny.predict(["很好用，满意"]).loc[0, "confidence"] == 0.0


def test_save_and_load_round_trip_without_pickle(tiny, tmp_path):
    path = tiny.save(tmp_path / "m.npz")
    with zipfile.ZipFile(path) as archive:
        assert sorted(archive.namelist()) == sorted(
            ["classes.npy", "data.npy", "indices.npy", "indptr.npy", "intercept.npy",
             "meta.npy"])
    again = ShippedModel.load(path)
    texts = ["快递太慢了", "价格太贵", "love it"]
    # float16 weights: the same answers, probabilities within rounding
    assert again.predict(texts)["reason"].tolist() == tiny.predict(texts)["reason"].tolist()
    assert np.allclose(again.predict_proba(texts), tiny.predict_proba(texts), atol=0.02)
    assert again.info == tiny.info


def test_explain_names_ngrams_of_the_text(tiny):
    words = explain(tiny, "快递太慢了", "delivery").split("; ")
    assert words and all(w in "快递太慢了" for w in words)
    assert explain(tiny, "快递太慢了", "unknown_code") == ""


def test_the_shipped_file_is_small_and_inside_the_package():
    path = model_path()
    assert path.exists(), "run bench/reasons.py --train"
    assert path.stat().st_size < 2_000_000
    model = shipped_model()
    assert model.info["version"] == "1" and model.info["texts"] > 10_000
    assert 0.0 < model.threshold < 1.0


def test_classify_asks_the_model_only_where_the_lexicon_read_nothing():
    texts = ["太贵了", "谢谢，再见", "耳机用了没几天左边就不响了"]
    lexicon_only = classify(texts, shipped=False)
    both = classify(texts)
    assert both.loc[0].tolist() == lexicon_only.loc[0].tolist()   # the lexicon answered
    assert lexicon_only.loc[2, ["reason", "confidence"]].tolist() == ["other", 0.0]
    assert both.loc[2, ["reason", "source"]].tolist() == ["quality", "shipped"]
    assert 0.5 <= both.loc[2, "confidence"] <= 1.0
    assert set(both.loc[2, "matched_terms"].split("; ")) <= {
        "耳机用了没几天左边就不响了"[i:j] for i in range(13) for j in range(i + 2, i + 5)}
    # no phrase and no confident reading: other, nothing understood
    assert both.loc[1, ["reason", "confidence", "source"]].tolist() == ["other", 0.0, "lexicon"]
