"""What an interactions file may leave out or say in Chinese: a missing ``interaction_id`` is
made from the row's content (so the same file loaded twice changes nothing), and common
Chinese kind names (投诉, 回访, 拜访…) are read as the canonical kinds.

Examples
--------
>>> frame = pd.DataFrame({"customer_id": ["c1", "c1"], "ts": ["2026-03-01", "2026-03-02"],
...                       "kind": ["投诉", " 回访 "], "text": ["太贵了", None]})
>>> out = interaction_defaults(frame, notes := [])
>>> out["kind"].tolist(), out["interaction_id"].str.len().tolist()
(['complaint', 'call'], [17, 17])
>>> interaction_defaults(frame, [])["interaction_id"].equals(out["interaction_id"])
True
"""

from __future__ import annotations

import pandas as pd

#: Chinese (and common English) names of interaction kinds → canonical kinds
KIND_NAMES = {
    "投诉": "complaint", "客诉": "complaint", "抱怨": "complaint",
    "工单": "ticket", "售后工单": "ticket", "报修": "ticket",
    "调查": "survey", "问卷": "survey", "满意度调查": "survey", "满意度": "survey",
    "电话": "call", "来电": "call", "致电": "call", "回访": "call", "电话回访": "call",
    "拜访": "visit", "上门": "visit", "走访": "visit",
    "邮件": "email", "电子邮件": "email",
    "关怀": "care", "客户关怀": "care",
    "流失调查": "exit_survey", "离开原因调查": "exit_survey", "退出调查": "exit_survey",
    "phone": "call", "phone call": "call", "mail": "email", "e-mail": "email",
}
ID_SOURCE_COLUMNS = ("customer_id", "ts", "kind", "text", "score")


def interaction_defaults(frame: pd.DataFrame, notes: list[str]) -> pd.DataFrame:
    """``frame`` with Chinese kind names mapped and an ``interaction_id`` made when the file
    has none (a note says so)."""
    out = frame.copy()
    if "kind" in out:
        text = out["kind"].astype("string").str.strip()
        mapped = text.str.lower().map(KIND_NAMES)
        mapped = mapped.where(mapped.notna(), text.map(KIND_NAMES))
        out["kind"] = mapped.where(mapped.notna(), out["kind"]).astype(object)
    if "interaction_id" not in out and {"customer_id", "ts"} <= set(out.columns):
        present = [c for c in ID_SOURCE_COLUMNS if c in out]
        hashed = pd.util.hash_pandas_object(out[present].astype("string"), index=False)
        out["interaction_id"] = "I" + hashed.map("{:016x}".format)
        notes.append("the file has no interaction_id: each row's id is made from its customer, "
                     "time, kind and text, so loading the same file again changes nothing.")
    return out
