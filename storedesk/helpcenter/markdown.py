"""Article Markdown to safe HTML and to plain text.

CommonMark plus tables; raw HTML in the source is not passed through (it is shown as
text), and the result goes through the same allow-list sanitiser as every other HTML.
"""

from __future__ import annotations

import html as html_lib
import re
from functools import cache

from storedesk.core.html import sanitize_html

MAX_MARKDOWN_CHARS = 200_000
_TAG = re.compile(r"<[^>]+>")
_BLOCK_END = re.compile(r"</(p|h[1-6]|li|tr|pre|blockquote|table|ul|ol)>|<br\s*/?>")


@cache
def _parser():
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table")


def render_html(markdown: str) -> str:
    """Sanitised HTML of ``markdown`` (links get ``rel="noopener noreferrer"``)."""
    return sanitize_html(_parser().render(markdown[:MAX_MARKDOWN_CHARS]))


def render_plain(markdown: str) -> str:
    """The text a reader sees, without markup: blocks separated by blank lines."""
    rendered = _parser().render(markdown[:MAX_MARKDOWN_CHARS])
    text = _TAG.sub("", _BLOCK_END.sub("\n\n", rendered))
    text = html_lib.unescape(text)
    blocks = [" ".join(block.split()) for block in re.split(r"\n\s*\n", text)]
    return "\n\n".join(block for block in blocks if block)
