"""Layer 1: the phrase lexicon on Chinese, English and mixed text, with negation."""

from __future__ import annotations

import pytest

from churnguard.reasons.lexicon import default_lexicon, read_text
from churnguard.reasons.taxonomy import taxonomy_from_settings
from churnguard.reasons.text import detect_language, stem


@pytest.mark.parametrize(("text", "reason"), [
    ("太贵了，预算不够", "price"),
    ("最近这批货次品太多，质量不稳定", "quality"),
    ("竞争对手给的条件更好", "competitor"),
    ("客服电话一直打不通", "service"),
    ("我们的业务员离职了", "staff_departure"),
    ("产品几年都没更新，太落后了", "innovation"),
    ("发货一拖再拖", "delivery"),
    ("发票开错了好几次", "billing"),
    ("公司搬迁到外地了", "customer_change"),
    ("承诺的返利一直没给", "broken_promise"),
])
def test_chinese_phrases(text, reason):
    assert read_text(text).reason == reason


@pytest.mark.parametrize(("text", "reason"), [
    ("Way too expensive after the price increase", "price"),
    ("The parts were defective and kept breaking", "quality"),
    ("We switched to a competitor", "competitor"),
    ("Customer service never answers the phone", "service"),
    ("Our account manager left the company", "staff_departure"),
    ("The product feels outdated", "innovation"),
    ("Deliveries are always late", "delivery"),
    ("We were overcharged on the last invoice", "billing"),
    ("We are closing down the shop", "customer_change"),
    ("The promised rebate never came", "broken_promise"),
])
def test_english_phrases(text, reason):
    assert read_text(text).reason == reason


def test_mixed_text_reads_both_languages():
    reading = read_text("这个月的 invoice 又开错了")
    assert reading.reason == "billing"
    assert reading.lang == "zh"
    mixed = read_text("对手那边 offer 了 better terms，我们就 switch 了")
    assert mixed.lang == "mixed"
    assert mixed.reason == "competitor"


@pytest.mark.parametrize(("text", "reason"), [
    ("价格没问题，就是售后跟不上", "service"),
    ("不是价格的问题，是发货太慢", "delivery"),
    ("质量还行，主要是客服态度差", "service"),
    ("跟价格没关系，我们公司搬迁了", "customer_change"),
    ("The price is fine, but support never replies", "service"),
    ("It's not about the price; the shipments keep arriving late", "delivery"),
    ("No complaints about quality. The invoices are always wrong", "billing"),
    ("Delivery was always on time, but your new pricing doubled our costs", "price"),
])
def test_denied_reasons_do_not_fire(text, reason):
    reading = read_text(text)
    assert reading.reason == reason
    assert not {"price", "quality", "delivery"} - {reason} & set(reading.scores)


def test_price_is_fine_alone_is_other():
    reading = read_text("价格没问题")
    assert (reading.reason, reading.confidence, reading.terms) == ("other", 0.0, ())
    assert read_text("Price is fine.").reason == "other"


def test_two_character_terms_respect_word_boundaries():
    # 贵 inside 贵司 (your company) is not "expensive"
    assert "price" not in read_text("贵司发货延误严重").scores


def test_confidence_is_top_over_total_plus_one():
    reading = read_text("太贵了")  # one strong phrase: 2 / (2 + 1)
    assert reading.confidence == pytest.approx(2 / 3, abs=1e-4)
    two = read_text("太贵了，而且发货也慢")  # price 2, delivery 2 (+ 慢 1): tie-break by weight
    assert two.confidence < reading.confidence


def test_whole_text_no_reason_answers():
    assert read_text("无").reason == "other"
    assert read_text("无").confidence == 1.0
    assert read_text("n/a").reason == "other"
    assert read_text("").reason == "other"


def test_contrast_clause_wins_a_tie():
    assert read_text("发货有点慢，但是客服态度太差").reason == "service"


def test_typos_of_long_words_are_forgiven():
    assert read_text("delivary always late").reason == "delivery"
    assert read_text("custmer servise is bad").reason == "service"
    # a real word one letter longer than a lexicon word is not a typo
    assert "staff_departure" not in read_text("every contract is reviewed").scores


def test_custom_reason_keywords_from_the_taxonomy():
    from churnguard.reasons.lexicon import build_lexicon

    tax = taxonomy_from_settings({"custom": {"packaging": {
        "name_en": "Packaging", "name_zh": "包装", "keywords_en": ["box was crushed"]}}})
    assert read_text("the box was crushed again", build_lexicon(tax)).reason == "packaging"


def test_detect_language_and_stem():
    assert detect_language("太贵了 ROI 不行") == "zh"
    assert detect_language("???") == "unknown"
    assert stem("invoices") == stem("invoicing") == stem("invoiced")
    assert len(default_lexicon().phrases("price")) > 20
