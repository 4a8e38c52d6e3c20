"""Text handling shared by the reason readers: normalising, language detection, a light English
stemmer, typo distance, clause splitting with contrast words, negation patterns, and a private,
quietly initialised jieba tokenizer (its dictionary ships with jieba: no network).

Examples
--------
>>> normalise("ＰＲＩＣＥ’s")
"price's"
"""

from __future__ import annotations

import logging
import re
import unicodedata
from functools import lru_cache
from typing import Any

CONTRAST_BOOST = 1.5
LANGS = ("auto", "zh", "en", "mixed")

_CONTRAST_EN = {"but", "however", "though", "although", "whereas", "except"}
_CONTRAST_ZH = ("但是", "但", "不过", "可是", "就是", "主要是", "而是", "关键是", "只是", "只不过")
_CLAUSE_PUNCT = set(".,;!?:()[]{}|/\\\"，。；！？：（）、…~～")
_ZH_SPLIT = re.compile(r"[，,。.！!？?；;：:、\n\r\t…~～()（）|/]+|\s{2,}")
_ZH_CONTRAST = re.compile("(" + "|".join(_CONTRAST_ZH) + ")")
EN_TOKEN = re.compile(r"[a-z0-9]+(?:'[a-z]+)*|[^\sa-z0-9]")
CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
LATIN_WORD = re.compile(r"[A-Za-z]{2,}")

PRE_EN = re.compile(
    r"(?:\bnot (?:really |just |so much |only )?(?:about|because of|due to|related to|a|an|the)"
    r"|\bnothing to do with|\bnothing wrong with|\bno (?:complaints?|issues?|problems?|concerns?)"
    r" (?:about|with|on|regarding)|\bnever had (?:any |an? )?(?:issues?|problems?) with"
    r"|\b(?:isn't|wasn't|aren't|weren't) (?:about|because of|the|a|an))"
    r"(?: (?:the|your|our|its|their|any))?$"
)
_POSITIVE_EN = (r"(?:fine|ok|okay|good|great|reasonable|fair|competitive|acceptable|decent|solid|"
                r"excellent|alright|on time|fast|quick|prompt|reliable|helpful|"
                r"not the (?:issue|problem|reason)|not an issue|not a problem|"
                r"never (?:the|an?) (?:issue|problem))")
POST_EN = re.compile(
    r"^(?:itself |themselves |wise )?(?:(?:is|was|are|were|has been|have been|seems|seemed|"
    r"remains|looks)(?: (?:totally|perfectly|absolutely|always|still|quite|pretty|really|very|"
    r"actually|also|all|generally|more than))* " + _POSITIVE_EN + r"\b"
    r"|(?:isn't|wasn't|aren't|weren't) (?:the|an?|really (?:the|an?)) (?:issue|problem|reason|"
    r"concern)\b|(?:fine|ok|okay|no problem|no issue)\b)"
)
PRE_ZH = re.compile(r"(?:不是|并非|不在于|并不是|倒不是|也不是|不是因为)(?:因为|由于|嫌|说)?"
                     r"(?:你们|贵司|贵公司|产品)?(?:的)?$")
POST_ZH = re.compile(
    r"^(?:的问题|方面|本身|这块|这方面|上)?(?:倒|也|都|还|其实|确实|一直|本身|方面|是)*"
    r"(?:没问题|没毛病|没什么问题|没啥问题|没得说|还行|还可以|可以接受|不错|挺好|很好|合理|公道|"
    r"还好|满意|不高|不贵|ok|无所谓|其次|过得去|也行)"
)
UNRELATED_ZH = re.compile(r"^[^，。]{0,6}(?:无关|没关系|没有关系)")
# Praise right after a phrase denies it too: 发货快, 物流很给力, 客服态度很好, 包装完好.
PRAISED_ZH = re.compile(
    r"^(?:的)?(?:速度|服务|态度|质量|包装|效率|小哥|员)?(?:也|都|还|真的?|非常|很|挺|超级?|"
    r"特别|相当|比较|蛮|一如既往的?|一直|还是|确实|是|好|依然|太|的)*"
    r"(?:快(?!递)|迅速|及时|准时|给力|放心|有保障|有保证|没话说|好评|很好|挺好|棒|赞|满意|"
    r"不错|可以|还行|清晰|流畅|稳定|耐用|舒服|舒适|扎实|好看|精良|精细|优秀|出色|一流|"
    r"杠杠的|没得说|过硬|强大|"
    r"完好|结实|严实|精美|精致|到位|周到|热情|耐心|专业|靠谱|神速|好(?!差|慢|贵|烂|坑|难|久|小|"
    r"大|多|少|重|脏|臭|吵))"
)


def stem(word: str) -> str:
    """A light English stemmer shared by texts and phrases.

    Examples
    --------
    >>> [stem(w) for w in ("prices", "priced", "pricing", "shipped", "deliveries")]
    ['pric', 'pric', 'pric', 'ship', 'delivery']
    """
    w = word.lower()
    if w.endswith("'s"):
        w = w[:-2]
    if len(w) > 4 and w.endswith("ies"):
        w = w[:-3] + "y"
    elif len(w) > 5 and w.endswith("ing"):
        w = _undouble(w[:-3])
    elif len(w) > 4 and w.endswith("ed"):
        w = _undouble(w[:-2])
    elif len(w) > 4 and w.endswith("es"):
        w = w[:-2]
    elif len(w) > 3 and w.endswith("s") and not w.endswith("ss"):
        w = w[:-1]
    if len(w) > 3 and w.endswith("e"):
        w = w[:-1]
    return w


def _undouble(w: str) -> str:
    if len(w) > 2 and w[-1] == w[-2] and w[-1] not in "aeioulsz":
        return w[:-1]
    return w


def normalise(text: str) -> str:
    """NFKC (full-width to half-width), lower case, straight apostrophes."""
    return unicodedata.normalize("NFKC", str(text)).lower().replace("\u2019", "'")


def detect_language(text: str) -> str:
    """``zh``, ``en``, ``mixed`` or ``unknown`` (no letters at all).

    Chinese characters and Latin words are counted; a Chinese text with one or two English
    words (ROI, KPI) is still ``zh``, three or more make it ``mixed``.

    Examples
    --------
    >>> detect_language("太贵了"), detect_language("too expensive")
    ('zh', 'en')
    >>> detect_language("对手给了 full package，我们就 switch 过去了")
    'mixed'
    """
    chinese = len(CJK.findall(text))
    latin = len(LATIN_WORD.findall(text))
    if chinese == 0:
        return "en" if latin else "unknown"
    return "zh" if latin <= 2 else "mixed"


# -- loading -------------------------------------------------------------------------------
def one_edit(a: str, b: str) -> bool:
    """Whether ``a`` and ``b`` differ by one substitution, insertion, deletion or swap."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        return len(diff) == 1 or (len(diff) == 2 and diff[1] == diff[0] + 1
                                  and a[diff[0]] == b[diff[1]] and a[diff[1]] == b[diff[0]])
    short, long_ = sorted((a, b), key=len)
    i = next((k for k in range(len(short)) if short[k] != long_[k]), len(short))
    return short[i:] == long_[i + 1:]


def english_clauses(tokens: list[str]) -> list[tuple[list[str], float]]:
    clauses: list[tuple[list[str], float]] = []
    current: list[str] = []
    boost = 1.0
    for token in tokens:
        if token in _CLAUSE_PUNCT or token in _CONTRAST_EN:
            if current:
                clauses.append((current, boost))
            current = []
            boost = CONTRAST_BOOST if token in _CONTRAST_EN else 1.0
        else:
            current.append(token)
    if current:
        clauses.append((current, boost))
    return clauses


def chinese_clauses(text: str) -> list[tuple[str, float]]:
    clauses = []
    for piece in _ZH_SPLIT.split(text):
        parts = _ZH_CONTRAST.split(piece)
        boost = 1.0
        for part in parts:
            if part in _CONTRAST_ZH:
                boost = CONTRAST_BOOST
            elif part.strip():
                clauses.append((part.strip(), boost))
    return clauses


@lru_cache(maxsize=4)
def jieba_tokenizer(words: tuple[str, ...]) -> Any:
    """A private jieba tokenizer (the global one is left alone), initialised quietly."""
    import jieba

    jieba.setLogLevel(logging.WARNING)
    tokenizer = jieba.Tokenizer()
    tokenizer.initialize()
    for word in words:
        if len(word) >= 2 and CJK.search(word):
            tokenizer.add_word(word)
    return tokenizer


