"""Splitting a document into passages: the units that get an embedding and that an answer
quotes. An article is split at its headings; long sections at paragraphs."""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_PASSAGE_CHARS = 1200
_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")


@dataclass(frozen=True)
class Passage:
    heading: str
    text: str  # plain text, without Markdown markup


def markdown_plain(markdown: str) -> str:
    """The readable text of Markdown: no markup, links as their text, one blank line
    between blocks."""
    from storedesk.helpcenter.markdown import render_plain

    return render_plain(markdown)


def article_passages(title: str, markdown: str) -> list[Passage]:
    """The passages of an article: the text before the first heading (under the title),
    then one per section, each at most ``MAX_PASSAGE_CHARS`` (longer sections are split
    between paragraphs)."""
    sections: list[tuple[str, list[str]]] = [(title, [])]
    in_code = False
    for line in markdown.splitlines():
        if line.lstrip().startswith(("```", "~~~")):
            in_code = not in_code
        match = None if in_code else _HEADING.match(line)
        if match:
            sections.append((match.group(2), []))
        else:
            sections[-1][1].append(line)
    passages = []
    for heading, lines in sections:
        text = markdown_plain("\n".join(lines)).strip()
        if not text:
            continue
        for chunk in _chunks(text):
            passages.append(Passage(heading=heading[:300], text=chunk))
    if not passages and title.strip():
        passages.append(Passage(heading=title[:300], text=title))
    return passages


def _chunks(text: str) -> list[str]:
    if len(text) <= MAX_PASSAGE_CHARS:
        return [text]
    chunks, current = [], ""
    for paragraph in text.split("\n\n"):
        while len(paragraph) > MAX_PASSAGE_CHARS:  # one huge paragraph: cut at a space
            cut = paragraph.rfind(" ", 0, MAX_PASSAGE_CHARS)
            cut = cut if cut > MAX_PASSAGE_CHARS // 2 else MAX_PASSAGE_CHARS
            if current:
                chunks.append(current)
                current = ""
            chunks.append(paragraph[:cut].strip())
            paragraph = paragraph[cut:].strip()
        if current and len(current) + 2 + len(paragraph) > MAX_PASSAGE_CHARS:
            chunks.append(current)
            current = ""
        current = f"{current}\n\n{paragraph}" if current else paragraph
    if current:
        chunks.append(current)
    return [chunk for chunk in chunks if chunk]
