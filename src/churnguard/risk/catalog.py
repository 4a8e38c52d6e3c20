"""The features of the churn-risk model: dimension, display format and reason sentences.

A reason sentence is written for the value of one feature, in English and Chinese; ``{v}`` is
the formatted value and ``{dir_en}``/``{dir_zh}`` say whether a change fell or rose. Features
not listed here (a user's own table) get a generic sentence naming the column and its value.
"""

from __future__ import annotations

from dataclasses import dataclass

DIMENSIONS = ("purchasing", "spend", "service", "payment", "relationship")
DIMENSION_LABELS = {
    "purchasing": ("Purchasing", "购买频次"),
    "spend": ("Spend", "消费金额"),
    "service": ("Service", "服务体验"),
    "payment": ("Payment", "付款"),
    "relationship": ("Relationship", "客户关系"),
    "other": ("Other", "其他"),
}


@dataclass(frozen=True)
class FeatureInfo:
    """How one feature is shown: its dimension, value format and reason sentences."""

    dimension: str
    format: str  # "int", "money", "pct_change", "ratio", "score", "flag", "text", "number"
    en: str
    zh: str


def _f(dimension: str, fmt: str, en: str, zh: str) -> FeatureInfo:
    return FeatureInfo(dimension, fmt, en, zh)


CATALOG: dict[str, FeatureInfo] = {
    "recency_days": _f("purchasing", "int", "no order for {v} days", "已 {v} 天未下单"),
    "orders_30d": _f("purchasing", "int", "{v} orders in the last 30 days", "近30天订单 {v} 笔"),
    "orders_90d": _f("purchasing", "int", "{v} orders in the last 90 days", "近90天订单 {v} 笔"),
    "orders_180d": _f("purchasing", "int", "{v} orders in the last 180 days",
                      "近180天订单 {v} 笔"),
    "orders_365d": _f("purchasing", "int", "{v} orders in the last 365 days",
                      "近一年订单 {v} 笔"),
    "orders_change_90d": _f("purchasing", "pct_change",
                            "orders in the last 90 days {dir_en} {v} against the 90 before",
                            "近90天订单数较前90天{dir_zh} {v}"),
    "orders_change_yoy_180d": _f("purchasing", "pct_change",
                                 "orders in the last 180 days {dir_en} {v} against a year "
                                 "earlier", "近180天订单数同比{dir_zh} {v}"),
    "gap_ratio": _f("purchasing", "ratio",
                    "the time since the last order is {v} times the customer's usual gap",
                    "距上次下单的时间是其平常购买间隔的 {v} 倍"),
    "recency_share": _f("purchasing", "pct", "silent for {v} of the time since the first order",
                        "自首单以来 {v} 的时间未再下单"),
    "purchase_rate": _f("purchasing", "number", "{v} purchase days per 30 days as a customer",
                        "平均每30天购买 {v} 天"),
    "typical_gap_days": _f("purchasing", "int", "usually orders every {v} days",
                           "平常每 {v} 天下单一次"),
    "categories_180d": _f("purchasing", "int", "bought {v} categories in the last 180 days",
                          "近180天购买 {v} 个品类"),
    "categories_change_180d": _f("purchasing", "signed_int",
                                 "categories bought changed by {v} against the 180 days before",
                                 "购买品类数较前180天变化 {v}"),
    "products_365d": _f("purchasing", "int", "bought {v} products in the last year",
                        "近一年购买 {v} 种产品"),
    "rate_ratio_180d": _f("purchasing", "ratio",
                          "bought {v} times as often in the last 180 days as before",
                          "近180天的购买频率是此前的 {v} 倍"),
    "last_gap_ratio": _f("purchasing", "ratio",
                         "the last gap between orders was {v} times the customer's usual gap",
                         "最近两次下单的间隔是其平常间隔的 {v} 倍"),
    "order_value_ratio_180d": _f("spend", "ratio",
                                 "average order value in the last 180 days is {v} times the "
                                 "customer's earlier average",
                                 "近180天客单价是此前平均的 {v} 倍"),
    "late_share_change_180d": _f("payment", "pct_points",
                                 "share of invoices paid late {dir_en} {v} points against the "
                                 "180 days before",
                                 "逾期付款账单占比较前180天{dir_zh} {v} 个百分点"),
    "resolution_days_365d": _f("service", "number",
                               "complaints took {v} days to resolve on average this year",
                               "近一年投诉平均 {v} 天才解决"),
    "p_alive": _f("purchasing", "pct", "the purchase model puts the chance the customer is "
                  "still buying at {v}", "购买模型估计其仍在购买的概率为 {v}"),
    "revenue_30d": _f("spend", "money", "spent {v} in the last 30 days", "近30天消费 {v}"),
    "revenue_90d": _f("spend", "money", "spent {v} in the last 90 days", "近90天消费 {v}"),
    "revenue_180d": _f("spend", "money", "spent {v} in the last 180 days", "近180天消费 {v}"),
    "revenue_365d": _f("spend", "money", "spent {v} in the last 365 days", "近一年消费 {v}"),
    "revenue_change_90d": _f("spend", "pct_change",
                             "spend in the last 90 days {dir_en} {v} against the 90 before",
                             "近90天消费额较前90天{dir_zh} {v}"),
    "revenue_change_yoy_180d": _f("spend", "pct_change",
                                  "spend in the last 180 days {dir_en} {v} against a year "
                                  "earlier", "近180天消费额同比{dir_zh} {v}"),
    "order_value_change_180d": _f("spend", "pct_change",
                                  "average order value {dir_en} {v} against the 180 days before",
                                  "客单价较前180天{dir_zh} {v}"),
    "avg_order_value_365d": _f("spend", "money", "average order value {v} over the last year",
                               "近一年客单价 {v}"),
    "wallet_share": _f("spend", "pct", "share of wallet is {v}", "钱包份额为 {v}"),
    "wallet_share_change": _f("spend", "pct_points",
                              "share of wallet {dir_en} {v} points against the year before",
                              "钱包份额较上一年{dir_zh} {v} 个百分点"),
    "complaints_90d": _f("service", "int", "{v} complaints in the last 90 days",
                         "近90天投诉 {v} 次"),
    "complaints_365d": _f("service", "int", "{v} complaints in the last year",
                          "近一年投诉 {v} 次"),
    "complaints_change_90d": _f("service", "signed_int",
                                "complaints in the last 90 days changed by {v} against the 90 "
                                "before", "近90天投诉次数较前90天变化 {v}"),
    "unresolved_complaints": _f("service", "int", "{v} complaints still unresolved",
                                "{v} 个投诉尚未解决"),
    "days_since_complaint": _f("service", "int", "last complaint {v} days ago",
                               "最近一次投诉在 {v} 天前"),
    "last_csat": _f("service", "score", "last satisfaction score {v} of 5",
                    "最近一次满意度评分 {v}/5"),
    "csat_change": _f("service", "signed_number", "satisfaction score changed by {v}",
                      "满意度评分变化 {v}"),
    "last_nps": _f("service", "score", "last recommendation score {v} of 10",
                   "最近一次推荐意愿评分 {v}/10"),
    "nps_change": _f("service", "signed_number", "recommendation score changed by {v}",
                     "推荐意愿评分变化 {v}"),
    "exit_survey_since_order": _f("relationship", "flag",
                                  "answered an exit survey after the last order",
                                  "最近一次下单后填写了流失调查"),
    "days_since_exit_survey": _f("relationship", "int", "answered an exit survey {v} days ago",
                                 "{v} 天前填写了流失调查"),
    "days_since_contact": _f("service", "int", "last contact (complaint, survey, call) {v} "
                             "days ago", "最近一次联系（投诉、调查、电话）在 {v} 天前"),
    "contact_after_order_days": _f("service", "signed_int",
                                   "last contact came {v} days after the last order "
                                   "(a minus: before it)",
                                   "最近一次联系比最近一次下单晚 {v} 天（负数：早于下单）"),
    "switching_complaints_180d": _f("service", "int", "{v} complaints about price, a "
                                    "competitor, the market or the account owner leaving in "
                                    "the last 180 days",
                                    "近180天有 {v} 次投诉涉及价格、竞争对手、市场或业务员离职"),
    "avg_days_late_365d": _f("payment", "number", "pays {v} days late on average",
                             "平均逾期付款 {v} 天"),
    "max_days_late_365d": _f("payment", "int", "paid up to {v} days late in the last year",
                             "近一年最长逾期付款 {v} 天"),
    "late_share_365d": _f("payment", "pct", "{v} of invoices paid late in the last year",
                          "近一年 {v} 的账单逾期付款"),
    "overdue_invoices": _f("payment", "int", "{v} invoices overdue and unpaid",
                           "{v} 张账单逾期未付"),
    "owner_left": _f("relationship", "flag", "the account owner has left the company",
                     "客户经理已离职"),
    "days_since_owner_left": _f("relationship", "int", "the account owner left {v} days ago",
                                "客户经理已于 {v} 天前离职"),
    "tenure_days": _f("relationship", "int", "customer for {v} days", "成为客户 {v} 天"),
    "segment": _f("relationship", "text", "segment {v}", "客户类别 {v}"),
    "region": _f("relationship", "text", "region {v}", "地区 {v}"),
    "channel": _f("relationship", "text", "channel {v}", "渠道 {v}"),
}


def feature_info(name: str) -> FeatureInfo:
    """What :data:`CATALOG` says about ``name``, or a generic entry for other columns.

    Examples
    --------
    >>> feature_info("recency_days").dimension
    'purchasing'
    >>> feature_info("Contract").en
    'Contract is {v}'
    """
    return CATALOG.get(name) or FeatureInfo("other", "auto", f"{name} is {{v}}",
                                            f"{name} 为 {{v}}")
