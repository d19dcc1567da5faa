"""Snippets: the part of a text where the query's terms are, as safe HTML with the matches
in ``<mark>``."""

from __future__ import annotations

from collections.abc import Iterable

from django.utils.html import escape

from storedesk.search.analyzers import index_tokens

SNIPPET_CHARS = 220


def snippet(text: str, terms: Iterable[str], language: str, length: int = SNIPPET_CHARS) -> str:
    """Up to ``length`` characters of ``text`` around the densest run of ``terms`` (analyzed
    terms, as a query gives them), HTML-escaped, matches in ``<mark>``; the start of the text
    when nothing matches."""
    wanted = set(terms)
    spans = [(s, e) for term, s, e in index_tokens(text, language) if term in wanted]
    start = _best_window(spans, length) if spans else 0
    end = min(len(text), start + length)
    if end - start < length:
        start = max(0, end - length)
    # Start and end on word boundaries where there is one nearby.
    if start > 0:
        space = text.find(" ", start, start + 30)
        start = space + 1 if space != -1 else start
    if end < len(text):
        space = text.rfind(" ", end - 30, end)
        end = space if space > start else end
    parts, cursor = [], start
    for span_start, span_end in _merged(spans):
        if span_end <= start or span_start >= end:
            continue
        span_start, span_end = max(span_start, start), min(span_end, end)
        parts.append(escape(text[cursor:span_start]))
        parts.append(f"<mark>{escape(text[span_start:span_end])}</mark>")
        cursor = span_end
    parts.append(escape(text[cursor:end]))
    prefix = "… " if start > 0 else ""
    suffix = " …" if end < len(text) else ""
    return prefix + " ".join("".join(parts).split()) + suffix


def _best_window(spans: list[tuple[int, int]], length: int) -> int:
    """The start of the window of ``length`` holding the most matches (a little context
    before the first)."""
    best_start, best_count, left = spans[0][0], 0, 0
    for right in range(len(spans)):
        while spans[right][1] - spans[left][0] > length:
            left += 1
        if right - left + 1 > best_count:
            best_count, best_start = right - left + 1, spans[left][0]
    return max(0, best_start - 40)


def _merged(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged
