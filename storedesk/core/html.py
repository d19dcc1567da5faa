"""Sanitising HTML written by customers (and agents) before it is stored.

An allow-list sanitiser (nh3): no scripts, event handlers, styles, forms, iframes or
``javascript:``/``data:`` URLs survive; links get ``rel="noopener noreferrer"``. Sanitised
HTML is still shown in a sandboxed frame by the UI: two independent layers.
"""

import nh3

_ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "caption", "cite", "code", "col", "colgroup", "dd",
    "del", "div", "dl", "dt", "em", "font", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i",
    "img", "ins", "kbd", "li", "ol", "p", "pre", "q", "s", "small", "span", "strike", "strong",
    "sub", "sup", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "u", "ul",
}  # fmt: skip
_ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    "td": {"colspan", "rowspan", "align"},
    "th": {"colspan", "rowspan", "align"},
    "font": {"color"},
    "*": {"dir", "lang"},
}
# cid: points at an inline attachment of the same email; resolved by the UI, never fetched.
_URL_SCHEMES = {"http", "https", "mailto", "tel", "cid"}
MAX_HTML_CHARS = 2_000_000


def sanitize_html(html: str) -> str:
    """Return ``html`` reduced to the allow-list. Oversized input is cut before parsing."""
    if not html:
        return ""
    return nh3.clean(
        html[:MAX_HTML_CHARS],
        tags=_ALLOWED_TAGS,
        attributes=_ALLOWED_ATTRIBUTES,
        url_schemes=_URL_SCHEMES,
        link_rel="noopener noreferrer",
        strip_comments=True,
    )


def text_to_html(text: str) -> str:
    """Plain text as safe HTML: escaped, paragraphs and line breaks kept, web addresses
    and email addresses made links (with ``rel="noopener noreferrer"``)."""
    from django.utils.html import escape, urlize

    paragraphs = [p for p in text.replace("\r\n", "\n").split("\n\n") if p.strip()]
    parts = []
    for paragraph in paragraphs:
        linked = urlize(escape(paragraph), nofollow=False, autoescape=False)
        parts.append("<p>" + linked.replace("\n", "<br>") + "</p>")
    # urlize's own markup is re-checked by the allow-list, which also sets rel on links.
    return sanitize_html("\n".join(parts))
