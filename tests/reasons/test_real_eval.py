"""Issue 19: the real evaluation set (public review and complaint corpora, labelled by reading)
and the split that keeps it apart from everything the lexicon and model were built on.

The texts come from local snapshots of public repositories; without them these tests skip."""

from __future__ import annotations

import pandas as pd
import pytest

from churnguard.errors import SchemaError
from churnguard.reasons.classifier import classify
from churnguard.reasons.corpora import (
    SNAPSHOTS,
    CorpusMissingError,
    default_root,
    load_corpora,
    split_of,
)
from churnguard.reasons.evaluation import REAL_LABELS, macro_f1, read_real_set
from churnguard.reasons.taxonomy import REASON_CODES


def test_rows_split_by_position():
    assert [split_of("airline", k) for k in (0, 1, 7, 13, 14)] == [
        "eval", "build", "eval", "build", "eval"]
    assert [split_of("uci_yelp", k) for k in (0, 2, 4)] == ["eval", "build", "eval"]


def test_missing_snapshots_say_how_to_fix(tmp_path):
    with pytest.raises(CorpusMissingError, match="CHURNGUARD_CORPORA"):
        load_corpora(tmp_path)


def test_reserved_corpora_are_never_read():
    assert not any("SophonPlus" in s.folder or "ChineseNlpCorpus" in s.folder
                   for s in SNAPSHOTS.values())


def test_labels_file_is_keys_and_codes_only():
    labels = pd.read_csv(REAL_LABELS, dtype=str, keep_default_na=False)
    assert list(labels.columns) == ["source", "key", "lang", "reason", "sha1"]
    assert len(labels) >= 400 and labels[["source", "key"]].duplicated().sum() == 0
    assert set(labels["reason"]) <= set(REASON_CODES)
    assert (labels["lang"].value_counts() >= 200).all()


@pytest.fixture(scope="module")
def corpora():
    try:
        return load_corpora()
    except CorpusMissingError as exc:
        pytest.skip(f"public corpus snapshots not under {default_root()}: {exc}")


def test_eval_texts_are_never_build_texts(corpora):
    build = set(corpora.loc[corpora["split"] == "build", "text"])
    evaluated = read_real_set()
    assert not set(evaluated["text"]) & build
    assert (corpora.loc[corpora["split"] == "build", "source"].value_counts() > 100).all()


def test_a_changed_text_is_refused(corpora, tmp_path):
    labels = pd.read_csv(REAL_LABELS, dtype=str, keep_default_na=False).head(3)
    labels.loc[0, "sha1"] = "0000000000"
    labels.to_csv(tmp_path / "labels.csv", index=False)
    with pytest.raises(SchemaError, match="differ from the ones labelled"):
        read_real_set(tmp_path / "labels.csv")


def test_today_reader_beats_floor_on_real_text(corpora):
    # measured in bench/reasons.py --real (docs/reasons.md); floors well below the figures,
    # above what the reader before issue 19 scored (zh 0.42, en 0.25)
    frame = read_real_set()
    frame["predicted"] = classify(frame["text"])["reason"].to_numpy()
    zh, en = (frame[frame["lang"] == lang] for lang in ("zh", "en"))
    assert macro_f1(zh["reason"], zh["predicted"]) >= 0.47
    assert macro_f1(en["reason"], en["predicted"]) >= 0.26
