"""Layer 1 of reading reasons: a transparent phrase lexicon per reason and language.

The phrases live in ``reasons/data/lexicon_en.toml`` and ``lexicon_zh.toml`` (a workspace adds
its own through ``keywords_en`` / ``keywords_zh`` of custom reasons). How a text is read:

1. It is split into clauses at punctuation and at contrast words (*but*, 但是, 不过, 就是…);
   reasons named after a contrast word count 1.5 times (“价格还行，就是售后跟不上”).
2. English phrases are matched on lightly stemmed word tokens (``prices`` = ``price``,
   ``defect*`` matches ``defective``); Chinese phrases as substrings, where phrases of one or
   two characters must line up with jieba's word boundaries (so 贵 never fires in 贵司).
3. A phrase that the clause denies does not count: “价格没问题”, “不是价格的问题”,
   “price is fine”, “not about the price”, “no complaints about quality”.
4. The reason with the largest summed weight wins (strong phrases weigh 2, others 1);
   ``confidence = top / (sum of all reasons' weights + 1)``. No phrase at all gives
   ``other`` with confidence 0.

Examples
--------
>>> lex = default_lexicon()
>>> read_text("价格没问题，就是售后太慢了", lex).reason
'service'
>>> read_text("The price is fine but deliveries are always late", lex).terms
('delivery', 'late')
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from importlib import resources
from typing import Any

from churnguard.reasons.taxonomy import Taxonomy, default_taxonomy
from churnguard.reasons.text import (
    CJK,
    EN_TOKEN,
    LATIN_WORD,
    POST_EN,
    POST_ZH,
    PRAISED_ZH,
    PRE_EN,
    PRE_ZH,
    UNRELATED_ZH,
    chinese_clauses,
    detect_language,
    english_clauses,
    jieba_tokenizer,
    normalise,
    one_edit,
    stem,
)

STRONG, WEAK = 2.0, 1.0

@dataclass(frozen=True)
class Phrase:
    """One lexicon phrase: its reason, text, weight and match form."""

    reason: str
    text: str
    weight: float
    tokens: tuple[str, ...] = ()  # English: stemmed tokens; last may end with "*"
    pattern: re.Pattern[str] | None = None  # a colloquial pattern ("等了X小时") instead of text


@dataclass(frozen=True, eq=False)
class Lexicon:
    """Phrases per language plus whole-text answers (``无``, ``n/a``) meaning ``other``."""

    version: str
    english: tuple[Phrase, ...]
    chinese: tuple[Phrase, ...]
    whole: dict[str, str]
    patterns: tuple[Phrase, ...] = ()  # regular expressions, both languages

    @cached_property
    def chinese_words(self) -> tuple[str, ...]:
        """The distinct Chinese phrases, longest first (jieba learns them as words)."""
        return tuple(sorted(dict.fromkeys(p.text for p in self.chinese), key=len, reverse=True))

    def phrases(self, reason: str) -> list[str]:
        """All phrases of ``reason`` (English then Chinese)."""
        return [p.text for p in self.english + self.chinese if p.reason == reason]


@dataclass(frozen=True)
class Reading:
    """The lexicon's reading of one text."""

    reason: str
    confidence: float
    terms: tuple[str, ...]
    lang: str
    scores: dict[str, float]
    phrases: dict[str, tuple[str, ...]] = field(default_factory=dict)  # matched, per reason


def _read_data(name: str) -> dict[str, Any]:
    path = resources.files("churnguard.reasons").joinpath(f"data/{name}")
    return tomllib.loads(path.read_text(encoding="utf-8"))


def _english_phrase(reason: str, text: str, weight: float) -> Phrase:
    raw = EN_TOKEN.findall(normalise(text).rstrip("*"))
    tokens = [stem(t) for t in raw]
    if text.endswith("*"):
        tokens[-1] = min(raw[-1], stem(raw[-1]), key=len) + "*"
    return Phrase(reason, text.rstrip("*"), weight, tuple(tokens))


def build_lexicon(taxonomy: Taxonomy | None = None) -> Lexicon:
    """The built-in phrases plus the keywords of ``taxonomy``'s workspace reasons.

    Examples
    --------
    >>> from churnguard.reasons.taxonomy import taxonomy_from_settings
    >>> tax = taxonomy_from_settings({"custom": {"packaging": {"name_en": "Packaging",
    ...     "name_zh": "包装", "keywords_zh": ["包装"]}}})
    >>> read_text("包装太简陋", build_lexicon(tax)).reason
    'packaging'
    """
    taxonomy = taxonomy or default_taxonomy()
    english: list[Phrase] = []
    chinese: list[Phrase] = []
    patterns: list[Phrase] = []
    whole: dict[str, str] = {}
    for lang, target in (("en", english), ("zh", chinese)):
        data = _read_data(f"lexicon_{lang}.toml")
        for reason, words in data.pop("_whole", {}).items():
            whole.update({normalise(w): reason for w in words})
        for reason, groups in data.items():
            for key, weight in (("strong", STRONG), ("colloquial", STRONG), ("terms", WEAK)):
                for text in groups.get(key, []):
                    target.append(_make(lang, reason, text, weight))
            for text in groups.get("patterns", []):
                patterns.append(Phrase(reason, text, STRONG, (), re.compile(text)))
    for reason in taxonomy:
        english += [_make("en", reason.code, t, STRONG) for t in reason.keywords_en]
        chinese += [_make("zh", reason.code, t, STRONG) for t in reason.keywords_zh]
    return Lexicon(taxonomy.version, tuple(english), tuple(chinese), whole, tuple(patterns))


def _make(lang: str, reason: str, text: str, weight: float) -> Phrase:
    if lang == "en":
        return _english_phrase(reason, text, weight)
    return Phrase(reason, normalise(text), weight)


@lru_cache(maxsize=1)
def default_lexicon() -> Lexicon:
    """The built-in lexicon (cached)."""
    return build_lexicon()


# -- matching ------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Hit:
    phrase: Phrase
    position: int
    boost: float


class _Matcher:
    """Compiled form of a lexicon (built once per lexicon)."""

    def __init__(self, lexicon: Lexicon) -> None:
        self.by_first: dict[str, list[Phrase]] = {}
        self.wild_first: list[Phrase] = []
        for phrase in lexicon.english:
            if len(phrase.tokens) == 1 and phrase.tokens[0].endswith("*"):
                self.wild_first.append(phrase)
            elif phrase.tokens:
                self.by_first.setdefault(phrase.tokens[0], []).append(phrase)
        for group in self.by_first.values():
            group.sort(key=lambda p: -len(p.tokens))
        self.vocabulary = {t for p in lexicon.english for t in p.tokens if not t.endswith("*")}
        # lookups by first letter (wildcards) and by (first letter, length) (typos)
        self.wild_by_letter: dict[str, list[Phrase]] = {}
        for phrase in self.wild_first:
            self.wild_by_letter.setdefault(phrase.tokens[0][0], []).append(phrase)
        self.long_words: dict[tuple[str, int], list[str]] = {}
        for v in sorted(self.vocabulary):
            if len(v) >= 5:
                self.long_words.setdefault((v[0], len(v)), []).append(v)
        self.typos: dict[str, str] = {}
        self.chinese = {p.text: p for p in lexicon.chinese}
        self.zh_patterns = [p for p in lexicon.patterns if CJK.search(p.text)]
        self.en_patterns = [p for p in lexicon.patterns if not CJK.search(p.text)]
        ordered = lexicon.chinese_words
        self.zh_pattern = re.compile("|".join(map(re.escape, ordered))) if ordered else None
        self.words = ordered

    # English ------------------------------------------------------------------------
    def english(self, text: str) -> list[_Hit]:
        raw = EN_TOKEN.findall(text)
        hits: list[_Hit] = []
        for clause, boost in english_clauses(raw):
            first = len(hits)
            stems = [self._spell(stem(t)) for t in clause]
            i = 0
            while i < len(clause):
                phrase = self._english_at(clause, stems, i)
                if phrase is None:
                    i += 1
                    continue
                end = i + len(phrase.tokens)
                before = " ".join(clause[max(0, i - 7):i])
                after = " ".join(clause[end:end + 7])
                denial = POST_EN.match(after)
                if not (denial or PRE_EN.search(before)):
                    hits.append(_Hit(phrase, len(hits), boost))
                # "delivery was always on time": the denying words are not phrases themselves
                i = end + (len(denial.group(0).split()) if denial else 0)
            if self.en_patterns:
                hits += self._english_patterns(" ".join(clause), boost, hits[first:], len(hits))
        return hits

    def _english_patterns(self, clause: str, boost: float, found: list[_Hit],
                          start: int) -> list[_Hit]:
        """Pattern hits of reasons no phrase already found in the clause (patterns widen
        the reach; they add no weight to a reason already read)."""
        hits: list[_Hit] = []
        seen = {h.phrase.reason for h in found}
        for phrase in self.en_patterns:
            if phrase.reason in seen:
                continue
            for m in phrase.pattern.finditer(clause):
                before, after = clause[max(0, m.start() - 60):m.start()].rstrip(), \
                    clause[m.end():].lstrip()
                if PRE_EN.search(before) or POST_EN.match(after):
                    continue
                hits.append(_Hit(Phrase(phrase.reason, m.group(0), phrase.weight),
                                 start + len(hits), boost))
                seen.add(phrase.reason)
                break
        return hits

    def _spell(self, word: str) -> str:
        """Map a misspelt word onto a lexicon word of 5+ letters one edit away (a letter
        changed, swapped or left out; never a letter added, so ``contract`` stays itself)."""
        if len(word) < 5 or word in self.vocabulary or not word.isalpha():
            return word
        if word not in self.typos:
            close = [v for size in (len(word), len(word) + 1)
                     for v in self.long_words.get((word[0], size), ()) if one_edit(word, v)]
            self.typos[word] = close[0] if len(close) == 1 else word
        return self.typos[word]

    def _english_at(self, raw: list[str], stems: list[str], i: int) -> Phrase | None:
        for phrase in self.by_first.get(stems[i], []):
            if _tokens_match(phrase.tokens, raw, stems, i):
                return phrase
        for phrase in self.wild_by_letter.get(raw[i][:1], ()):
            if raw[i].startswith(phrase.tokens[0][:-1]):
                return phrase
        return None

    # Chinese ------------------------------------------------------------------------
    def chinese_hits(self, text: str) -> list[_Hit]:
        if self.zh_pattern is None or not CJK.search(text):
            return []
        hits: list[_Hit] = []
        for clause, boost in chinese_clauses(text):
            found: list[tuple[Phrase, int, int]] = []
            bounds: set[int] | None = None  # jieba runs only when a short phrase matched
            for m in self.zh_pattern.finditer(clause):
                phrase = self.chinese[m.group(0)]
                if len(phrase.text) <= 2:
                    bounds = self._boundaries(clause) if bounds is None else bounds
                    if not {m.start(), m.end()} <= bounds:
                        continue
                if self._denied_zh(clause, m.start(), m.end()):
                    continue
                found.append((phrase, m.start(), m.end()))
            found = self._with_patterns(clause, found)
            hits += [_Hit(phrase, len(hits) + k, boost) for k, (phrase, _, _) in enumerate(found)]
        return hits

    def _with_patterns(self, clause: str, found: list[tuple[Phrase, int, int]]
                       ) -> list[tuple[Phrase, int, int]]:
        """Add the clause's pattern matches. A pattern claims the phrases of other reasons
        inside it (比竞争对手贵 is about price), and tops its own reason up to a strong
        phrase's weight, never more (patterns widen the reach, they add no weight)."""
        for pattern in self.zh_patterns:
            m = next((m for m in pattern.pattern.finditer(clause)
                      if not self._denied_zh(clause, m.start(), m.end())), None)
            if m is None:
                continue
            found = [f for f in found if f[0].reason == pattern.reason
                     or not (m.start() <= f[1] and f[2] <= m.end())]
            have = sum(f[0].weight for f in found if f[0].reason == pattern.reason)
            if have < pattern.weight:
                found.append((Phrase(pattern.reason, m.group(0), pattern.weight - have),
                              m.start(), m.end()))
        return found

    @staticmethod
    def _denied_zh(clause: str, start: int, end: int) -> bool:
        before, after = clause[:start], clause[end:]
        return bool(PRE_ZH.search(before) or POST_ZH.match(after) or UNRELATED_ZH.match(after)
                    or PRAISED_ZH.match(after))

    def _boundaries(self, clause: str) -> set[int]:
        bounds, position = {0}, 0
        for word in jieba_tokenizer(self.words).lcut(clause, HMM=True):
            position += len(word)
            bounds.add(position)
        return bounds


def _tokens_match(tokens: tuple[str, ...], raw: list[str], stems: list[str], i: int) -> bool:
    if i + len(tokens) > len(raw):
        return False
    for k, token in enumerate(tokens):
        if token.endswith("*"):
            if not raw[i + k].startswith(token[:-1]):
                return False
        elif stems[i + k] != token:
            return False
    return True


@lru_cache(maxsize=8)
def _matcher(lexicon: Lexicon) -> _Matcher:
    return _Matcher(lexicon)


# -- reading -------------------------------------------------------------------------------
def read_text(text: str | None, lexicon: Lexicon | None = None, *, lang: str = "auto",
              order: tuple[str, ...] | None = None) -> Reading:
    """Read one text with the lexicon (see the module notes for the rules).

    Examples
    --------
    >>> r = read_text("说好的返利一直没给")
    >>> r.reason, r.terms
    ('broken_promise', ('说好的', '返利', '一直没给'))
    """
    return _read_cached(text or "", lexicon or default_lexicon(), lang,
                        order or default_taxonomy().codes)


@lru_cache(maxsize=65_536)
def _read_cached(text: str, lexicon: Lexicon, lang: str, order: tuple[str, ...]) -> Reading:
    clean = normalise(text)
    detected = detect_language(clean) if lang == "auto" else lang
    if clean.strip() in lexicon.whole:
        return Reading(lexicon.whole[clean.strip()], 1.0, (clean.strip(),), detected, {})
    matcher = _matcher(lexicon)
    hits: list[_Hit] = []
    if detected != "zh" or LATIN_WORD.search(clean):
        hits += matcher.english(clean)
    if detected != "en":
        hits += matcher.chinese_hits(clean)
    return _decide(hits, detected, order)


def _decide(hits: list[_Hit], lang: str, order: tuple[str, ...]) -> Reading:
    if not hits:
        return Reading("other", 0.0, (), lang, {})
    scores: dict[str, float] = {}
    strongest: dict[str, float] = {}
    for hit in hits:
        weight = hit.phrase.weight * hit.boost
        scores[hit.phrase.reason] = scores.get(hit.phrase.reason, 0.0) + weight
        strongest[hit.phrase.reason] = max(strongest.get(hit.phrase.reason, 0.0), weight)
    rank = {code: i for i, code in enumerate(order)}
    best = max(scores, key=lambda r: (scores[r], strongest[r], -rank.get(r, len(rank))))
    phrases = {reason: tuple(dict.fromkeys(h.phrase.text for h in hits
                                           if h.phrase.reason == reason)) for reason in scores}
    confidence = scores[best] / (sum(scores.values()) + 1.0)
    return Reading(best, round(confidence, 4), phrases[best], lang, scores, phrases)
