"""The churn-reason taxonomy (流失原因分类): fixed codes, bilingual names, versioned.

The fifteen built-in codes are a public contract: data, reports and the classifier all use
them, so that figures stay comparable between workspaces and over time. A workspace may add
its own reasons (and override labels) in ``churnguard.toml``::

    [reasons]
    version = "acme-2"                 # appended to the built-in version: "1.0+acme-2"

    [reasons.custom.packaging]         # a new code: lower-case snake_case
    name_en = "Packaging"
    name_zh = "包装问题"
    description_en = "Damaged or wasteful packaging."
    description_zh = "包装破损或过度包装。"
    keywords_en = ["packaging", "box was crushed"]
    keywords_zh = ["包装", "纸箱"]

    [reasons.labels.price]             # relabel a built-in reason (its code stays)
    name_zh = "价格偏高"

Examples
--------
>>> tax = default_taxonomy()
>>> tax.codes[:3]
('price', 'quality', 'competitor')
>>> tax.label("staff_departure", lang="zh")
'业务员离职'
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import pandas as pd

from churnguard.errors import ConfigError

TAXONOMY_VERSION = "1.0"

REASON_CODES: tuple[str, ...] = (
    "price", "quality", "competitor", "service", "staff_departure", "innovation", "market",
    "short_term_behaviour", "broken_promise", "neglect", "delivery", "product_fit", "billing",
    "customer_change", "other",
)


@dataclass(frozen=True)
class Reason:
    """One churn reason: its code, names and descriptions in English and Chinese.

    ``keywords_en`` / ``keywords_zh`` are extra lexicon phrases (workspace reasons use them;
    built-in reasons get theirs from the lexicon data files).
    """

    code: str
    name_en: str
    name_zh: str
    description_en: str
    description_zh: str
    builtin: bool = True
    keywords_en: tuple[str, ...] = field(default=())
    keywords_zh: tuple[str, ...] = field(default=())

    def name(self, lang: str = "en") -> str:
        """The name in ``lang`` (``"en"`` or ``"zh"``)."""
        return self.name_zh if lang == "zh" else self.name_en


_BUILTIN: tuple[Reason, ...] = (
    Reason("price", "Price", "价格因素",
           "Price too high, a price increase, or a cheaper offer elsewhere.",
           "价格偏高、调价，或别处更便宜。"),
    Reason("quality", "Product quality", "质量问题",
           "Poor or unstable quality: defects, failures, inconsistent batches.",
           "质量不稳定或不达标：次品、故障、批次不一致。"),
    Reason("competitor", "Competitor", "竞争对手抢夺",
           "Won over by a competitor's offer, terms or sales effort.",
           "被竞争对手以更优条件或主动营销挖走。"),
    Reason("service", "Service", "服务不到位",
           "Slow, unhelpful or unprofessional support and after-sales service.",
           "响应慢、解决不了问题、售后或技术支持不专业。"),
    Reason("staff_departure", "Account owner left", "业务员离职",
           "The salesperson or account manager left and the customer followed or drifted.",
           "业务员或客户经理跳槽离职，客户随之而去或无人跟进。"),
    Reason("innovation", "Lack of innovation", "缺乏创新",
           "Products or features out of date; nothing new compared with the market.",
           "产品老旧、功能落后，没有新品和改进。"),
    Reason("market", "Market turbulence", "市场波动",
           "Turbulence at the supplier or in the market: instability, funding, policy, disasters.",
           "企业动荡、资金周转困难、政策或行业波动、意外灾害。"),
    Reason("short_term_behaviour", "Short-term behaviour", "企业短期行为",
           "The company chased short-term gain at the customer's expense (hard selling, "
           "cutting corners, pushing stock).",
           "企业为眼前利益损害客户利益：强行推销、压货、偷工减料。"),
    Reason("broken_promise", "Broken promise", "承诺未兑现",
           "Promised rebates, rewards, discounts or terms were not delivered.",
           "承诺的返利、奖励、优惠或条件没有兑现。"),
    Reason("neglect", "Neglected details", "细节疏忽",
           "The customer felt ignored or treated as unimportant; small things were forgotten.",
           "不被重视、区别对待、没人跟进，细节被忽视。"),
    Reason("delivery", "Delivery and logistics", "交付物流",
           "Late, wrong, incomplete or damaged deliveries.",
           "交货延迟、发错货、少发或运输破损。"),
    Reason("product_fit", "Product fit and range", "产品不适配",
           "The range or product does not fit the customer's needs: missing items or specs.",
           "产品品类、规格或功能不满足客户需求。"),
    Reason("billing", "Billing", "账单结算",
           "Wrong invoices, double charges, payment terms, invoice (发票) problems.",
           "账单错误、重复扣款、结算账期、发票问题。"),
    Reason("customer_change", "Customer's own change", "客户自身变化",
           "The customer moved, closed, was acquired, or changed business; no longer needs it.",
           "客户搬迁、关店、被收购、转行，不再需要。"),
    Reason("other", "Other / unknown", "其他",
           "No reason given or a reason outside the taxonomy.",
           "未说明原因或不属于以上类别。"),
)

_CODE_PATTERN = re.compile(r"^[a-z][a-z0-9_]{1,39}$")


@dataclass(frozen=True)
class Taxonomy:
    """An ordered set of reasons with a version string.

    Use :func:`default_taxonomy` or :func:`taxonomy_from_settings`.
    """

    version: str
    reasons: tuple[Reason, ...]

    @property
    def codes(self) -> tuple[str, ...]:
        """The reason codes, built-ins first, ``other`` among them."""
        return tuple(r.code for r in self.reasons)

    def __contains__(self, code: object) -> bool:
        return code in self.codes

    def __iter__(self) -> Iterator[Reason]:
        return iter(self.reasons)

    def __len__(self) -> int:
        return len(self.reasons)

    def get(self, code: str) -> Reason:
        """The reason with ``code``; raises :class:`ConfigError` when unknown."""
        for reason in self.reasons:
            if reason.code == code:
                return reason
        raise ConfigError(f"unknown reason code {code!r}. Known codes: {', '.join(self.codes)}.")

    def label(self, code: str, *, lang: str = "en") -> str:
        """The display name of ``code`` in ``lang``; unknown codes are shown as they are."""
        return self.get(code).name(lang) if code in self.codes else str(code)

    def code_for(self, text: str | None) -> str | None:
        """The code a recorded reason means: a code or an English/Chinese name, any case.

        Examples
        --------
        >>> tax = default_taxonomy()
        >>> tax.code_for(" Price "), tax.code_for("业务员离职"), tax.code_for("weather")
        ('price', 'staff_departure', None)
        """
        if text is None:
            return None
        key = str(text).strip().lower()
        for reason in self.reasons:
            if key in (reason.code, reason.name_en.lower(), reason.name_zh):
                return reason.code
        return None

    def to_frame(self) -> pd.DataFrame:
        """One row per reason: ``code, name_en, name_zh, description_en, description_zh,
        builtin``."""
        cols = ["code", "name_en", "name_zh", "description_en", "description_zh", "builtin"]
        return pd.DataFrame([[getattr(r, c) for c in cols] for r in self.reasons], columns=cols)


def default_taxonomy() -> Taxonomy:
    """The built-in taxonomy (version :data:`TAXONOMY_VERSION`).

    Examples
    --------
    >>> len(default_taxonomy())
    15
    """
    return Taxonomy(TAXONOMY_VERSION, _BUILTIN)


def taxonomy_from_settings(section: Mapping[str, Any] | None) -> Taxonomy:
    """The built-in taxonomy extended by a ``[reasons]`` settings section.

    Parameters
    ----------
    section
        The ``[reasons]`` table of ``churnguard.toml`` (``ws.settings.section("reasons")``):
        optional ``version``, ``custom.<code>`` tables adding reasons and ``labels.<code>``
        tables overriding names and descriptions of existing ones.

    Examples
    --------
    >>> tax = taxonomy_from_settings({"version": "acme", "custom": {"packaging": {
    ...     "name_en": "Packaging", "name_zh": "包装问题", "keywords_zh": ["包装"]}}})
    >>> tax.version, tax.codes[-2:]
    ('1.0+acme', ('other', 'packaging'))
    """
    section = dict(section or {})
    reasons = list(_BUILTIN)
    for code, values in dict(section.get("labels", {})).items():
        index = _index_of(reasons, code, where="labels")
        reasons[index] = replace(reasons[index], **_label_fields(values, code))
    for code, values in dict(section.get("custom", {})).items():
        reasons.append(_custom_reason(code, values, reasons))
    version = TAXONOMY_VERSION
    if section.get("version"):
        version = f"{TAXONOMY_VERSION}+{section['version']}"
    return Taxonomy(version, tuple(reasons))


def workspace_taxonomy(ws: Any) -> Taxonomy:
    """The taxonomy of workspace ``ws`` (built-ins plus its ``[reasons]`` settings)."""
    return taxonomy_from_settings(ws.settings.section("reasons"))


_LABEL_KEYS = ("name_en", "name_zh", "description_en", "description_zh")


def _label_fields(values: Any, code: str) -> dict[str, str]:
    if not isinstance(values, Mapping):
        raise ConfigError(f"[reasons.labels.{code}] must be a table of names, got {values!r}.")
    unknown = set(values) - set(_LABEL_KEYS)
    if unknown:
        raise ConfigError(f"[reasons.labels.{code}]: unknown keys {sorted(unknown)}. "
                          f"Allowed: {', '.join(_LABEL_KEYS)}.")
    return {k: str(v) for k, v in values.items()}


def _index_of(reasons: list[Reason], code: str, *, where: str) -> int:
    for i, reason in enumerate(reasons):
        if reason.code == code:
            return i
    raise ConfigError(f"[reasons.{where}.{code}]: {code!r} is not a reason code. Known codes: "
                      f"{', '.join(r.code for r in reasons)}.")


def _custom_reason(code: str, values: Any, existing: list[Reason]) -> Reason:
    where = f"[reasons.custom.{code}]"
    if not _CODE_PATTERN.match(code):
        raise ConfigError(f"{where}: code {code!r} must be lower-case snake_case "
                          f"(letters, digits, _), e.g. 'packaging'.")
    if any(r.code == code for r in existing):
        raise ConfigError(f"{where}: {code!r} already exists; relabel it under "
                          f"[reasons.labels.{code}] instead.")
    if not isinstance(values, Mapping) or "name_en" not in values or "name_zh" not in values:
        raise ConfigError(f"{where} needs at least name_en and name_zh, got {values!r}.")
    words = {}
    for key in ("keywords_en", "keywords_zh"):
        value = values.get(key, [])
        if isinstance(value, str) or not all(isinstance(v, str) for v in value):
            raise ConfigError(f"{where}: {key} must be a list of strings, got {value!r}.")
        words[key] = tuple(value)
    return Reason(code, str(values["name_en"]), str(values["name_zh"]),
                  str(values.get("description_en", "")), str(values.get("description_zh", "")),
                  builtin=False, **words)
