"""Public review and complaint corpora for building and checking the reason readers.

Nothing here is shipped or copied into the repository: the texts are read from local snapshots
of public GitHub repositories (``git show`` on a bare mirror), found under ``root`` (default
``$CHURNGUARD_CORPORA`` or ``/work/.mirror``) as ``owner+name/repo``.

Each text belongs to exactly one split, fixed by its position in the source file:

* ``build`` — the unlabelled texts the lexicon phrases were checked against and the shipped
  model was trained on (weak supervision);
* ``eval`` — the pool the real evaluation set was drawn from; never used to build anything.

Sources (with the commit read):

========================  ==========================================  ======  =========
source                    repository / file                           lang    eval pool
========================  ==========================================  ======  =========
``eprstmt``               CLUEbenchmark/FewCLUE eprstmt (e-commerce)  zh      test.json
``asap``                  Meituan-Dianping/asap samples (restaurant)  zh      test_sample
``airline``               Twitter US airline tweets (complaints)      en      row % 7 == 0
``uci_amazon``            UCI sentiment sentences, amazon (products)  en      row % 4 == 0
``uci_yelp``              UCI sentiment sentences, yelp (restaurant)  en      row % 4 == 0
========================  ==========================================  ======  =========

SophonPlus/ChineseNlpCorpus ``waimai_10k``, ``ChnSentiCorp_htl_all`` and
``online_shopping_10_cats`` are reserved for an independent check: they are never read here.

Examples
--------
>>> split_of("airline", 14), split_of("airline", 15)
('eval', 'build')
"""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from churnguard.errors import ChurnguardError

COLUMNS = ["source", "key", "text", "lang", "split", "hint"]


class CorpusMissingError(ChurnguardError, FileNotFoundError):
    """A public corpus snapshot is not on this machine."""


@dataclass(frozen=True)
class Snapshot:
    """Where one source lives: repository mirror folder, commit and file paths."""

    folder: str
    commit: str


SNAPSHOTS = {
    "eprstmt": Snapshot("CLUEbenchmark+FewCLUE", "62a02c6f31cf32814cfe522f78ef088228840f8d"),
    "asap": Snapshot("Meituan-Dianping+asap", "975122a60065240124df62cb4d5dbfd19ed9ef2c"),
    "airline": Snapshot("Anuragiitk+Twitter-US-Sentiment-Analysis",
                        "58786bed120ea193a2a6ed6d5565c4dbbc4890a9"),
    "uci": Snapshot("Nanofication+TWC-Naive-Bayes", "5bc4715169b40c627e082a27321215a2719a0347"),
}


def default_root() -> Path:
    """``$CHURNGUARD_CORPORA`` or ``/work/.mirror``."""
    return Path(os.environ.get("CHURNGUARD_CORPORA", "/work/.mirror"))


def split_of(source: str, key: int) -> str:
    """The split of row ``key`` of ``source`` (see the module table)."""
    if source == "airline":
        return "eval" if key % 7 == 0 else "build"
    if source in ("uci_amazon", "uci_yelp"):
        return "eval" if key % 4 == 0 else "build"
    raise ChurnguardError(f"{source!r} has no row split; its split comes from its files.")


def _show(root: Path, snapshot: Snapshot, path: str) -> str:
    repo = root / snapshot.folder / "repo"
    if not repo.exists():
        raise CorpusMissingError(
            f"no snapshot of {snapshot.folder.replace('+', '/')} under {root}. Fetch the "
            f"repository (see churnguard.reasons.corpora) or point CHURNGUARD_CORPORA at it.")
    out = subprocess.run(["git", "--git-dir", str(repo), "show", f"HEAD:{path}"],
                         capture_output=True, check=True)
    return out.stdout.decode("utf-8-sig", errors="replace")


def _eprstmt(root: Path) -> list[tuple]:
    snap = SNAPSHOTS["eprstmt"]
    rows = []
    files = [("unlabeled", "build"), ("test", "eval")]
    files += [(f"{kind}_{k}", "build") for kind in ("train", "dev") for k in range(5)]
    for name, split in files:
        for line in _show(root, snap, f"datasets/eprstmt/{name}.json").splitlines():
            if line.strip():
                item = json.loads(line)
                rows.append(("eprstmt", f"{name}:{item['id']}", item["sentence"], "zh", split,
                             item.get("label", "")))
    return rows


def _asap(root: Path) -> list[tuple]:
    snap = SNAPSHOTS["asap"]
    rows = []
    for name, split in (("train_sample", "build"), ("dev_sample", "build"),
                        ("test_sample", "eval")):
        reader = csv.DictReader(io.StringIO(_show(root, snap, f"data/{name}.csv")))
        for item in reader:
            rows.append(("asap", f"{name}:{item['index']}", item["reviewbody"], "zh", split,
                         item["star"]))
    return rows


def _airline(root: Path) -> list[tuple]:
    reader = csv.DictReader(io.StringIO(_show(root, SNAPSHOTS["airline"], "Tweets.csv")))
    return [("airline", str(i), item["text"], "en", split_of("airline", i),
             item["airline_sentiment"]) for i, item in enumerate(reader)]


def _uci(root: Path) -> list[tuple]:
    rows = []
    for source, path in (("uci_amazon", "amazon_cells_labelled.txt"),
                         ("uci_yelp", "Datasets/yelp_labelled.txt")):
        for i, line in enumerate(_show(root, SNAPSHOTS["uci"], path).splitlines()):
            text, _, label = line.rpartition("\t")
            if text.strip():
                rows.append((source, str(i), text.strip(), "en", split_of(source, i),
                             "positive" if label.strip() == "1" else "negative"))
    return rows


def load_corpora(root: str | Path | None = None) -> pd.DataFrame:
    """All texts of all sources: ``source, key, text, lang, split, hint``.

    ``hint`` is the source's own sentiment or star label (used only to pick negative texts;
    never as a reason). Build texts that also occur in an eval pool are dropped from build.

    Raises
    ------
    CorpusMissingError
        When a snapshot is missing.
    """
    root = Path(root) if root else default_root()
    frame = pd.DataFrame(_eprstmt(root) + _asap(root) + _airline(root) + _uci(root),
                         columns=COLUMNS)
    held = set(frame.loc[frame["split"] == "eval", "text"])
    leak = (frame["split"] == "build") & frame["text"].isin(held)
    return frame[~leak].reset_index(drop=True)
