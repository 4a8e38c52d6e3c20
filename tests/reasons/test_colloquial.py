"""Issue 19: the lexicon reads colloquial reviews and complaints (times and durations, wrong or
missing items, damage and spoilage, fit and size, price comparisons, neglect), with praise
and negation denying a phrase, in Chinese and English. Texts written for these tests."""

from __future__ import annotations

import pytest

from churnguard.reasons.lexicon import read_text


@pytest.mark.parametrize(("text", "reason"), [
    ("饭等了将近两个钟头", "delivery"),                 # a duration pattern
    ("晚上7点下的单，九点多才拿到", "delivery"),        # "X点下单…才"
    ("三个小时后才送到，汤全洒了", "delivery"),
    ("地址写得清清楚楚，还是送错了楼", "delivery"),
    ("点了两份米饭，少了一份", "delivery"),              # a missing item
    ("箱子压扁了，里面的杯子也压碎了", "delivery"),
    ("买的芒果一半都烂了", "quality"),                    # spoilage
    ("刚用一周就自动关机", "quality"),
    ("这个充电器插上就发烫，还充不进", "quality"),
    ("裤子尺码偏小，穿不上", "product_fit"),
    ("这个价比隔壁店贵了二十块", "price"),              # a comparison is price
    ("比别家贵不少", "price"),
    ("问了三遍都没人搭理", "neglect"),
    ("投诉了一个星期，没人管", "neglect"),
    ("收到的是翻新机", "short_term_behaviour"),
])
def test_colloquial_chinese(text, reason):
    assert read_text(text).reason == reason


@pytest.mark.parametrize(("text", "reason"), [
    ("Our flight got cancelled and we were left stranded in Denver", "delivery"),
    ("Sat on the tarmac for two hours", "delivery"),
    ("They lost my bag again", "delivery"),
    ("waited 40 minutes on hold and then they hung up", "service"),
    ("The burger was bland and overcooked", "quality"),
    ("Battery died after a week, won't charge at all", "quality"),
    ("The case doesn't fit my phone", "product_fit"),
    ("Total rip off for what you get", "price"),
    ("They charged me a change fee twice", "billing"),
    ("Emailed three times, never heard back", "neglect"),
    ("Item not as described, looks like a knockoff", "short_term_behaviour"),
])
def test_colloquial_english(text, reason):
    assert read_text(text).reason == reason


@pytest.mark.parametrize("text", [
    "发货快，包装好", "物流很给力", "快递小哥很热情", "客服态度很好，耐心解答", "包装很严实",
])
def test_praise_denies_the_phrase(text):
    reading = read_text(text)
    assert reading.reason == "other" and reading.confidence == 0.0


def test_negation_still_holds_for_new_phrases():
    assert read_text("不是送错了，是东西质量太差").reason == "quality"
    assert read_text("物流没问题，就是尺码偏大").reason == "product_fit"


def test_a_pattern_adds_no_weight_to_a_reason_already_read():
    # 两个小时 matches a delivery pattern, 送餐 a strong delivery phrase: it counts once
    reading = read_text("送餐等了两个小时")
    assert reading.scores["delivery"] == 2.0
    assert reading.terms == ("送餐",)


def test_patterns_show_the_words_they_matched():
    assert read_text("足足等了三个小时").terms == ("等了足足三个小时",) or \
        read_text("足足等了三个小时").terms == ("等了三个小时",)
