"""Complaint and exit-survey texts of the synthetic company, in Chinese and English.

Each text joins an opener, a reason-specific core and a closer, so the words that carry the
reason vary while the reason stays known. The sentences are written for churnguard.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

REASONS = (
    "price",
    "quality",
    "competitor",
    "service",
    "staff_departure",
    "delivery",
    "product_fit",
    "market",
)

_CORE_ZH: dict[str, tuple[str, ...]] = {
    "price": (
        "这次调价以后成本压力太大了",
        "你们的报价比别家高出一截",
        "涨价幅度太大，我们预算撑不住",
        "同样的货别人便宜百分之十五",
        "价格一年涨了两次，实在难以接受",
        "采购部说你们的单价没有竞争力",
    ),
    "quality": (
        "上一批货次品率明显偏高",
        "产品用了两周就出故障",
        "质量时好时坏，很不稳定",
        "收到的货有破损和划痕",
        "检测报告不合格，影响我们生产",
        "做工粗糙，和样品差距很大",
    ),
    "competitor": (
        "另一家供应商给了更好的条件",
        "竞争对手上门谈了三次，条件很诱人",
        "我们已经和别的厂家签了框架协议",
        "同行推荐了一家更合适的供应商",
        "对方承诺免费试用半年",
        "新供应商的账期比你们长",
    ),
    "service": (
        "客服电话总是打不通",
        "售后处理拖了一个多月没人管",
        "问题反映了好几次都没有回复",
        "服务人员态度很差",
        "技术支持不专业，解决不了问题",
        "报修后一直没人上门",
    ),
    "staff_departure": (
        "原来对接的业务经理离职了",
        "跟我们合作的销售跳槽了，新人不了解情况",
        "老王走了以后就没人联系我们",
        "之前的客户经理去了别的公司，我们也跟着过去",
        "负责人换了三次，沟通很困难",
        "对接人离开后交接没做好",
    ),
    "delivery": (
        "发货总是延迟",
        "物流太慢，耽误了我们的工期",
        "送货地址经常搞错",
        "到货时间一拖再拖",
        "包装太差，运输途中损坏",
        "承诺三天到货结果等了两周",
    ),
    "product_fit": (
        "你们的产品线满足不了我们的新需求",
        "规格型号太少，没有我们要的",
        "产品功能跟不上我们的业务",
        "我们需要定制款但你们做不了",
        "品类太单一，只好去别处采购",
        "新项目用不上你们的产品了",
    ),
    "market": (
        "今年行情不好，订单大幅减少",
        "市场萎缩，我们压缩了采购",
        "受整体经济影响，业务暂停",
        "行业不景气，只能缩减开支",
        "原材料价格波动太大，暂停合作",
        "下游需求下降，用量少了很多",
    ),
}

_CORE_EN: dict[str, tuple[str, ...]] = {
    "price": (
        "the new price list is far above what we budgeted",
        "your quote came in well above other vendors",
        "after the price increase the numbers no longer work for us",
        "we found the same items fifteen percent cheaper elsewhere",
        "two price rises in one year is too much",
        "procurement says your unit cost is not competitive",
    ),
    "quality": (
        "the last batch had far too many defects",
        "the unit broke down after two weeks of use",
        "quality has been inconsistent from order to order",
        "goods arrived scratched and damaged",
        "the parts failed our incoming inspection",
        "the finish is poor and nothing like the sample",
    ),
    "competitor": (
        "another supplier offered us better terms",
        "a competitor visited three times with a strong offer",
        "we have signed a framework deal with another vendor",
        "a peer recommended a supplier that suits us better",
        "the other company offered a six month free trial",
        "the new vendor gives us longer payment terms",
    ),
    "service": (
        "nobody answers the support line",
        "the after-sales case sat untouched for over a month",
        "we reported the issue several times without a reply",
        "the service staff were rude",
        "technical support could not solve the problem",
        "no engineer came after we logged the repair",
    ),
    "staff_departure": (
        "our account manager left the company",
        "the sales rep we worked with moved to a rival and the new one does not know us",
        "since our contact left nobody has called us",
        "our former account manager joined another firm and we are following him",
        "the contact person changed three times and communication broke down",
        "the handover after our rep left was badly done",
    ),
    "delivery": (
        "shipments are always late",
        "slow logistics delayed our project",
        "deliveries keep going to the wrong address",
        "the delivery date slipped again and again",
        "poor packaging meant damage in transit",
        "promised delivery in three days, it took two weeks",
    ),
    "product_fit": (
        "your range does not cover our new requirements",
        "too few sizes and models, none fit our needs",
        "the product features have not kept up with our business",
        "we need a custom version you cannot make",
        "the catalogue is too narrow so we buy elsewhere",
        "our new projects no longer use your products",
    ),
    "market": (
        "business is slow this year and orders fell sharply",
        "our market shrank so we cut purchasing",
        "the downturn forced us to pause operations",
        "the industry is struggling and we are cutting costs",
        "raw material prices swing too much, so we paused",
        "demand from our own customers dropped a lot",
    ),
}

_OPEN_ZH = ("", "你好，", "说实话，", "反映一下：", "我们公司", "再次投诉：", "麻烦看一下，")
_CLOSE_ZH = ("。", "，希望尽快改进。", "，很失望。", "，请给个说法。", "。考虑换供应商了。", "！")
_OPEN_EN = ("", "Hi, ", "Frankly, ", "To be honest, ", "Complaint: ", "Please note that ")
_CLOSE_EN = (".", ". Please fix this.", ". Very disappointed.", ". We expect an answer.",
             ". We are reviewing our options.", "!")


def compose(reasons: np.ndarray, chinese: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Texts for arrays of reason codes and language flags (vectorised over rows)."""
    n = len(reasons)
    out = np.empty(n, dtype=object)
    for lang_zh, cores, openers, closers in (
        (True, _CORE_ZH, _OPEN_ZH, _CLOSE_ZH),
        (False, _CORE_EN, _OPEN_EN, _CLOSE_EN),
    ):
        for reason in REASONS:
            rows = np.flatnonzero((reasons == reason) & (chinese == lang_zh))
            if rows.size == 0:
                continue
            core = np.array(cores[reason], dtype=object)[rng.integers(0, 6, rows.size)]
            opener = np.array(openers, dtype=object)[rng.integers(0, len(openers), rows.size)]
            closer = np.array(closers, dtype=object)[rng.integers(0, len(closers), rows.size)]
            text = opener + core + closer
            if not lang_zh:
                series = pd.Series(text)
                text = (series.str[:1].str.upper() + series.str[1:]).to_numpy(dtype=object)
            out[rows] = text
    return out
