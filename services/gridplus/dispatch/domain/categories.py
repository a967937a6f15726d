"""A petition's category when the reporter gave none: a first, rule-based classifier.

Keyword rules over the title and description, in Chinese and English. The ML classifier trained on
labelled petitions replaces `classify` in a later issue; until then, a petition no rule recognises
is filed as `other` (and its grid worker re-classifies it in the verify step).

Categories are codes (`noise`, `street_light`, ...), never display names: names belong to the
places that show them, in the reader's language.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

NOISE = "noise"
STREET_LIGHT = "street_light"
SANITATION = "sanitation"
WATER = "water"
PARKING = "parking"
OTHER = "other"


@dataclass(frozen=True)
class Rule:
    category: str
    chinese: tuple[str, ...]  # matched as substrings (Chinese has no spaces between words)
    english: tuple[str, ...]  # matched as whole words or phrases, case-insensitive, plural -s ok


# In priority order: when two categories match equally often, the earlier one wins.
RULES: tuple[Rule, ...] = (
    Rule(WATER, ("漏水", "水管", "爆管", "渗水", "停水", "自来水"), ("water leak", "leaking water",
         "pipe leak", "burst pipe", "water main", "no water")),
    Rule(STREET_LIGHT, ("路灯", "街灯", "灯不亮"), ("streetlight", "street light", "street lamp",
         "lamppost", "lamp post")),
    Rule(NOISE, ("噪音", "噪声", "扰民", "吵闹"), ("noise", "noisy", "loud")),
    Rule(SANITATION, ("垃圾", "环境卫生", "环卫", "脏乱"), ("garbage", "trash", "rubbish", "litter",
         "sanitation", "dumping")),
    Rule(PARKING, ("停车", "违停", "车位"), ("parking", "parked", "double parked",
         "blocked driveway")),
)  # fmt: skip

_MAX_SHOWN = 3


@dataclass(frozen=True)
class Classification:
    category: str
    reason: str  # human-readable: why this category


def _english_pattern(phrase: str) -> re.Pattern[str]:
    words = r"[\s-]+".join(re.escape(word) for word in phrase.split())
    return re.compile(rf"\b{words}s?\b", re.IGNORECASE)


_ENGLISH = {
    rule.category: [(phrase, _english_pattern(phrase)) for phrase in rule.english] for rule in RULES
}


def _matches(rule: Rule, text: str) -> list[str]:
    found = [word for word in rule.chinese if word in text]
    found += [phrase for phrase, pattern in _ENGLISH[rule.category] if pattern.search(text)]
    return found


def classify(title: str, description: str) -> Classification:
    """The category the keywords point to most often; `other` when none does."""
    text = f"{title}\n{description}"
    best: tuple[Rule, list[str]] | None = None
    for rule in RULES:
        found = _matches(rule, text)
        if found and (best is None or len(found) > len(best[1])):
            best = (rule, found)
    if best is None:
        return Classification(OTHER, f"category {OTHER}: no keyword rule matched")
    rule, found = best
    shown = ", ".join(found[:_MAX_SHOWN])
    return Classification(rule.category, f"category {rule.category} by keyword rules ({shown})")


def categorise(given: str, title: str, description: str) -> Classification:
    """The reporter's category when there is one, else the keyword rules' choice."""
    code = given.strip()
    if code:
        return Classification(code, f"category {code} given by the reporter")
    return classify(title, description)
