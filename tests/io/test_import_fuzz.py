"""The import fuzzer (see :mod:`tests.io.import_fuzz`) with a fixed seed.

The suite runs ``CHURNGUARD_FUZZ_CASES`` cases (default 80, ~8 s of CPU); the 400-case run of
issue 13 is the same test with ``CHURNGUARD_FUZZ_CASES=400``.
"""

from __future__ import annotations

import collections
import os

import pandas as pd

from churnguard import Workspace
from tests.io.import_fuzz import run_fuzz

CASES = int(os.environ.get("CHURNGUARD_FUZZ_CASES", "80"))


def test_fuzzed_imports_load_exactly_or_refuse_in_one_line(tmp_path):
    ws = Workspace.create(tmp_path / "ws")
    ws.load("customers", pd.DataFrame({"customer_id": ["c1", "c2", "c3"]}))
    outcomes = run_fuzz(ws, tmp_path, cases=CASES, seed=13)
    ws.close()
    findings = [f"case {o.case.number} ({o.case.what[:120]}): {o.verdict}: {o.detail}"
                for o in outcomes if o.verdict in ("traceback", "misload")]
    assert not findings, "\n".join(findings)
    counts = collections.Counter((o.case.kind, o.verdict) for o in outcomes)
    # every kind of case was exercised, and broken files were all refused
    assert counts[("valid", "ok")] > 0 and counts[("chaos", "refused")] > 0
    assert counts[("broken", "refused")] == sum(o.case.kind == "broken" for o in outcomes)
