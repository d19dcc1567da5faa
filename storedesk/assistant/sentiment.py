"""Strong negative sentiment in a customer's message, in English, Chinese and Croatian.

A weighted word list (``data/negative.tsv``) rather than a model: what must be caught is
the angry customer (insults, threats, "scam", "垃圾", "prevara"), and a list is exact about
those, works offline and says why it fired. Shouting (capitals, "!!!") adds to the score.
English and Croatian terms match at the start of a word, after diacritics are folded (so
"uzasno" finds "užasno"); Chinese terms match anywhere.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from dataclasses import dataclass
from functools import cache
from pathlib import Path

LEXICON = Path(__file__).resolve().parent / "data" / "negative.tsv"
# A score of this or more is strong negative sentiment: one threat or insult (weight 3),
# or two strong words, or one with shouting.
STRONG = 3


@dataclass(frozen=True)
class Sentiment:
    score: int
    terms: tuple[str, ...]  # the words that counted

    @property
    def strongly_negative(self) -> bool:
        return self.score >= STRONG


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.lower().replace("đ", "dj"))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@cache
def _patterns() -> tuple[tuple[re.Pattern, str, int], ...]:
    patterns = []
    with LEXICON.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE):
            term, weight = row["term"].strip(), int(row["weight"])
            if row["lang"].startswith("zh"):
                pattern = re.compile(re.escape(term))
            else:
                pattern = re.compile(r"(?<!\w)" + re.escape(_fold(term)).replace(r"\ ", r"\s+"))
            patterns.append((pattern, term, weight))
    return tuple(patterns)


def _shouting(text: str) -> int:
    letters = [c for c in text if c.isalpha() and c.isascii()]
    loud = len(letters) >= 12 and sum(c.isupper() for c in letters) / len(letters) > 0.7
    return int(loud) + int(bool(re.search(r"[!！]{3,}", text)))


def sentiment_of(text: str) -> Sentiment:
    """How negative ``text`` is (0 = nothing negative found). A term inside a longer one
    that matched at the same place ("užas" in "užasno") counts once."""
    folded = _fold(text)
    found: list[tuple[int, int, str, int]] = []
    for pattern, term, weight in _patterns():
        haystack = folded if pattern.pattern.startswith("(?<!") else text
        for match in pattern.finditer(haystack):
            found.append((match.start(), match.end(), term, weight))
    found.sort(key=lambda item: (item[0], -(item[1] - item[0])))
    score, terms, reach = 0, [], -1
    for _start, end, term, weight in found:
        if end <= reach:
            continue  # inside a longer match already counted
        score, reach = score + weight, max(reach, end)
        terms.append(term)
    if terms:  # shouting alone is not anger ("HELLO!!!")
        score += _shouting(text)
    return Sentiment(score=score, terms=tuple(terms))
