"""Two languages for every label: 中文 and English.

The catalogues live next to this module in ``locales/zh.json`` and ``locales/en.json`` (one flat
object of key → text each; both must hold the same keys, a test checks it). The language of a
request is, in order: an explicit ``?lang=`` query, the ``lang`` cookie the language switch sets,
then the browser's ``Accept-Language`` (Chinese when the browser prefers Chinese over English),
else English.

Examples
--------
>>> translate("nav.dashboard", "zh")
'仪表盘'
>>> translate("nav.dashboard", "en")
'Dashboard'
>>> negotiate_language("zh-CN,zh;q=0.9,en;q=0.8")
'zh'
>>> negotiate_language("en-GB,en;q=0.9")
'en'
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import cache
from importlib import resources

LANGUAGES: tuple[str, ...] = ("zh", "en")
DEFAULT_LANGUAGE = "en"
LANGUAGE_NAMES = {"zh": "中文", "en": "English"}
COOKIE_NAME = "lang"


@cache
def catalogue(lang: str) -> dict[str, str]:
    """The message catalogue of ``lang`` (``zh`` or ``en``).

    Examples
    --------
    >>> catalogue("zh")["kpi.churn_rate"]
    '客户流失率'
    """
    if lang not in LANGUAGES:
        raise ValueError(f"unknown language {lang!r}; use one of {', '.join(LANGUAGES)}")
    text = resources.files("churnguard.i18n").joinpath(f"locales/{lang}.json").read_text("utf-8")
    return json.loads(text)


def translate(key: str, lang: str, **values: object) -> str:
    """The text of ``key`` in ``lang``, with ``{name}`` placeholders filled from ``values``.

    A key missing from the catalogue is returned as is, so a gap shows on the page instead of
    breaking it (the catalogue test keeps gaps out of the repository).

    Examples
    --------
    >>> translate("worklist.count", "en", n=3)
    '3 customers'
    """
    text = catalogue(lang if lang in LANGUAGES else DEFAULT_LANGUAGE).get(key, key)
    return text.format(**values) if values else text


#: the catalogue key family of each kind of data value (``value.<field>.`` for the rest)
VALUE_FAMILIES: dict[str, str] = {
    "kind": "ikind.", "task": "task.", "task_status": "tstatus.", "complaint_status": "cstatus.",
    "severity": "severity.", "tier": "tier.", "role": "role.",
    "customer_status": "customer.status.", "campaign_kind": "campaigns.kind.", "group": "group.",
    "outcome": "outcome.",
}


def translate_value(field: str, value: object, lang: str) -> str:
    """A data value (a segment, channel, interaction kind, status…) in ``lang``.

    The catalogue holds the codes the app itself uses (``value.segment.smb``, ``ikind.call``…);
    a value it does not know (a company's own segment name, say) is customer data and is shown
    as it is; none is ``–``.

    Examples
    --------
    >>> translate_value("segment", "enterprise", "zh"), translate_value("kind", "complaint", "zh")
    ('企业客户', '投诉')
    >>> translate_value("segment", "连锁药店", "en"), translate_value("channel", None, "zh")
    ('连锁药店', '–')
    """
    if value is None or value != value or value == "":  # None, NaN, empty
        return "–"
    prefix = VALUE_FAMILIES.get(field, f"value.{field}.")
    text = catalogue(lang if lang in LANGUAGES else DEFAULT_LANGUAGE).get(f"{prefix}{value}")
    return text if text is not None else str(value)


def translate_message(key: str, params: dict[str, object], lang: str) -> str:
    """A message whose parameters may themselves be catalogue keys: a parameter named
    ``<name>_key`` is translated and filled in as ``{name}``; a tuple of keys becomes the
    translated words joined by "or".

    Examples
    --------
    >>> translate_message("error.role_needed", {"roles": ("role.manager", "role.admin"),
    ...                                         "role_key": "role.rep"}, "en")
    'This page is for Manager or Administrator; you are signed in as Sales rep.'
    """
    values: dict[str, object] = {}
    for name, value in params.items():
        if isinstance(value, tuple):
            values[name] = translate("error.or", lang).join(translate(str(v), lang) for v in value)
        elif name.endswith("_key"):
            values[name.removesuffix("_key")] = translate(str(value), lang)
        else:
            values[name] = value
    return translate(key, lang, **values)


def translator(lang: str) -> Callable[..., str]:
    """A one-argument ``t(key, **values)`` bound to ``lang`` (what templates call)."""

    def t(key: str, **values: object) -> str:
        return translate(key, lang, **values)

    return t


def negotiate_language(accept_language: str | None, *, cookie: str | None = None,
                       query: str | None = None) -> str:
    """Pick ``zh`` or ``en`` from the query, cookie and ``Accept-Language`` header.

    Examples
    --------
    >>> negotiate_language("en;q=0.5,zh-TW;q=0.8")
    'zh'
    >>> negotiate_language("zh-CN", cookie="en")
    'en'
    >>> negotiate_language(None)
    'en'
    """
    for explicit in (query, cookie):
        if explicit in LANGUAGES:
            return explicit
    best, best_q = DEFAULT_LANGUAGE, -1.0
    for position, part in enumerate((accept_language or "").split(",")):
        tag, _, params = part.strip().partition(";")
        base = tag.strip().lower().split("-")[0]
        if base not in LANGUAGES:
            continue
        q = 1.0
        if params.strip().startswith("q="):
            try:
                q = float(params.strip()[2:])
            except ValueError:
                q = 0.0
        q -= position * 1e-6  # equal weights: the earlier tag wins
        if q > best_q:
            best, best_q = base, q
    return best


def format_number(value: object, *, percent: bool = False, digits: int = 0) -> str:
    """A number for display: thousands separators, percentages with one decimal, ``–`` for none.

    Examples
    --------
    >>> format_number(0.1234, percent=True)
    '12.3%'
    >>> format_number(1234567.891)
    '1,234,568'
    >>> format_number(None)
    '–'
    """
    if value is None:
        return "–"
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return str(value)
    if number != number:  # NaN
        return "–"
    if percent:
        return f"{number:.1%}"
    return f"{number:,.{digits}f}"
