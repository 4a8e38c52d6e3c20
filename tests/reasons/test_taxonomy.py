"""The churn-reason taxonomy: fixed codes, bilingual labels, workspace extensions."""

from __future__ import annotations

import pytest

from churnguard.errors import ConfigError
from churnguard.reasons.taxonomy import (
    REASON_CODES,
    TAXONOMY_VERSION,
    default_taxonomy,
    taxonomy_from_settings,
    workspace_taxonomy,
)

ISSUE_CODES = ("price", "quality", "competitor", "service", "staff_departure", "innovation",
               "market", "short_term_behaviour", "broken_promise", "neglect", "delivery",
               "product_fit", "billing", "customer_change", "other")


def test_codes_are_exactly_the_issue_codes_in_order():
    assert REASON_CODES == ISSUE_CODES
    assert default_taxonomy().codes == ISSUE_CODES


def test_every_reason_has_names_and_descriptions_in_both_languages():
    frame = default_taxonomy().to_frame()
    assert list(frame.columns) == ["code", "name_en", "name_zh", "description_en",
                                   "description_zh", "builtin"]
    for col in ("name_en", "name_zh", "description_en", "description_zh"):
        assert frame[col].str.len().min() > 1, col
    assert frame["name_zh"].str.contains(r"[\u4e00-\u9fff]").all()
    assert frame["builtin"].all()


def test_labels_by_language():
    tax = default_taxonomy()
    assert tax.label("price", lang="zh") == "价格因素"
    assert tax.label("price") == "Price"
    assert tax.label("unknown_code") == "unknown_code"
    assert tax.version == TAXONOMY_VERSION


def test_extension_adds_reason_relabels_and_versions():
    tax = taxonomy_from_settings({
        "version": "acme-2",
        "custom": {"packaging": {"name_en": "Packaging", "name_zh": "包装问题",
                                 "keywords_zh": ["包装"], "keywords_en": ["packaging"]}},
        "labels": {"price": {"name_zh": "价格偏高"}},
    })
    assert tax.version == "1.0+acme-2"
    assert tax.codes == (*ISSUE_CODES, "packaging")
    assert tax.get("packaging").builtin is False
    assert tax.get("packaging").keywords_zh == ("包装",)
    assert tax.label("price", lang="zh") == "价格偏高"
    assert tax.get("price").name_en == "Price"


def test_workspace_toml_section_extends_taxonomy(workspace):
    path = workspace.folder / "churnguard.toml"
    path.write_text(path.read_text(encoding="utf-8") + '\n[reasons.custom.packaging]\n'
                    'name_en = "Packaging"\nname_zh = "包装"\n', encoding="utf-8")
    from churnguard import Workspace

    with Workspace.open(workspace.folder) as ws:
        assert workspace_taxonomy(ws).codes[-1] == "packaging"


@pytest.mark.parametrize(("section", "message"), [
    ({"custom": {"Bad Code": {"name_en": "x", "name_zh": "x"}}}, "lower-case snake_case"),
    ({"custom": {"price": {"name_en": "x", "name_zh": "x"}}}, "already exists"),
    ({"custom": {"packaging": {"name_en": "x"}}}, "needs at least name_en and name_zh"),
    ({"custom": {"packaging": {"name_en": "x", "name_zh": "y", "keywords_zh": "包装"}}},
     "must be a list of strings"),
    ({"labels": {"pricing": {"name_zh": "x"}}}, "'pricing' is not a reason code"),
    ({"labels": {"price": {"colour": "red"}}}, "unknown keys"),
])
def test_bad_extensions_say_what_to_fix(section, message):
    with pytest.raises(ConfigError, match=message):
        taxonomy_from_settings(section)


def test_get_unknown_code_lists_known_codes():
    with pytest.raises(ConfigError, match="unknown reason code 'pricing'. Known codes: price"):
        default_taxonomy().get("pricing")
