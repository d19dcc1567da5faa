"""The public help center: one site per store and locale, readable without an account and
without JavaScript, plus the suggestion API the chat widget and the contact form call while
a customer types.

Views parse the request, read through ``selectors`` and ``search`` and write through
``services``. Anything a reader may not see (another store's article, an internal article,
a draft, a translation in another locale) is 404, never 403, so nothing leaks.
"""

from __future__ import annotations

import html
import json
import re
import secrets
from urllib.parse import urlencode

from django.core.cache import cache
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext_lazy as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from storedesk.core.api import error_body
from storedesk.core.ratelimit import rate_allow
from storedesk.helpcenter import selectors, services
from storedesk.helpcenter.models import ArticleTranslation, Category, SearchSource
from storedesk.helpcenter.search import MAX_QUERY_CHARS, search_articles
from storedesk.stores.models import Store

SEARCHES_PER_MINUTE = 60
SUGGESTIONS_PER_MINUTE = 60
CLICKS_PER_MINUTE = 60
FEEDBACK_PER_WINDOW, FEEDBACK_WINDOW = 30, 600
# A reader opening the same article again within this many seconds is not counted again.
VIEW_REPEAT_SECONDS = 30 * 60
MIN_SUGGEST_CHARS = 3
MAX_SUGGESTIONS = 3
ARTICLES_PER_CATEGORY_ON_HOME = 6
SUGGEST_SOURCES = {"widget": SearchSource.WIDGET, "form": SearchSource.CONTACT_FORM}

DEFAULT_BRAND = "#1f6feb"
_HEX_COLOUR = re.compile(r"#[0-9a-fA-F]{6}")
_MARK = re.compile(r"</?mark>")

# Pages load only this origin's stylesheet and the nonce'd <style> holding the store's
# colours; no script runs. Images in articles may come from any https host.
PAGE_CSP = (
    "default-src 'none'; style-src 'self' 'nonce-{nonce}'; img-src 'self' https: data:; "
    "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)

# The suggestion API is read by pages of the shops (other origins). A wildcard origin is
# safe here: the responses hold only public help-center content, the endpoints read no
# cookies or other credentials and set none.
CORS_HEADERS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "GET, POST, OPTIONS",
    "Access-Control-Allow-Headers": "Content-Type",
    "Access-Control-Max-Age": "86400",
}

TOO_MANY = {
    "title": _("Too many requests"),
    "message": _("Please wait a minute and try again."),
}


# --- Helpers ----------------------------------------------------------------------------


def _store(slug: str) -> Store:
    store = Store.objects.filter(slug=slug).first()
    if store is None:
        raise Http404
    return store


def _store_and_locale(slug: str, locale: str) -> tuple[Store, str]:
    store = _store(slug)
    if locale not in store.locales:
        raise Http404
    return store, locale


def _address(request) -> str:
    return request.META.get("REMOTE_ADDR", "")


def _reader(request) -> str:
    return services.reader_key(
        address=_address(request), user_agent=request.headers.get("User-Agent", "")
    )


def _query(raw: str) -> str:
    """The reader's query, whitespace collapsed and cut to what search accepts."""
    return " ".join(raw[: MAX_QUERY_CHARS * 4].split())[:MAX_QUERY_CHARS]


def _article_path(store: Store, translation_: ArticleTranslation) -> str:
    return reverse("helpcenter:article", args=[store.slug, translation_.locale, translation_.slug])


def _language_name(code: str) -> str:
    try:
        return translation.get_language_info(code)["name_local"]
    except KeyError:
        return code


def _direction(code: str) -> str:
    try:
        return "rtl" if translation.get_language_info(code)["bidi"] else "ltr"
    except KeyError:
        return "ltr"


# Accept-Language → the store's locale. Chinese: Simplified unless the reader asks for a
# Traditional region or script; Bosnian, Serbian and Montenegrin readers read Croatian.
_TRADITIONAL_CHINESE = ("zh-hant", "zh-tw", "zh-hk", "zh-mo")
_READ_AS_CROATIAN = {"bs", "sr", "sh", "cnr"}


def _accepted_tags(header: str) -> list[str]:
    """The language tags of an ``Accept-Language`` header, most wanted first (``q=0`` and
    ``*`` left out)."""
    ranked = []
    for position, part in enumerate(header.split(",")[:30]):
        tag, _sep, params = part.strip().partition(";")
        quality = 1.0
        for param in params.split(";"):
            name, _eq, value = param.strip().partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        tag = tag.strip().lower().replace("_", "-")
        if tag and tag != "*" and quality > 0 and len(tag) <= 35:
            ranked.append((-quality, position, tag))
    return [tag for _quality, _position, tag in sorted(ranked)]


def _store_locale_for(store: Store, tag: str) -> str | None:
    """The store's locale serving a reader who asks for ``tag``, if any."""
    locales = store.locales
    tag = tag.strip().lower().replace("_", "-")
    if not tag:
        return None
    if tag in locales:
        return tag
    primary = tag.split("-")[0]
    if primary == "zh":
        wanted = "zh-hant" if tag.startswith(_TRADITIONAL_CHINESE) else "zh-hans"
        if wanted in locales:
            return wanted
    for locale in locales:
        if locale.split("-")[0] == primary:
            return locale
    if primary in _READ_AS_CROATIAN and "hr" in locales:
        return "hr"
    return None


def _best_locale(store: Store, accept_language: str) -> str:
    for tag in _accepted_tags(accept_language):
        locale = _store_locale_for(store, tag)
        if locale:
            return locale
    return store.default_locale


def _luminance(colour: str) -> float:
    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(int(colour[i : i + 2], 16)) for i in (1, 3, 5))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def _contrast(a: float, b: float) -> float:
    return (max(a, b) + 0.05) / (min(a, b) + 0.05)


def _brand(colour: str) -> dict:
    """The store's colour (re-checked as ``#rrggbb``), the text colour readable on it and a
    link colour readable on white (the brand colour, darkened when it is too light)."""
    colour = colour if _HEX_COLOUR.fullmatch(colour or "") else DEFAULT_BRAND
    luminance = _luminance(colour)
    text = "#ffffff" if _contrast(luminance, 1.0) >= _contrast(luminance, 0.0) else "#111111"
    link = colour
    while _contrast(_luminance(link), 1.0) < 4.5:
        link = "#" + "".join(f"{int(int(link[i : i + 2], 16) * 0.85):02x}" for i in (1, 3, 5))
    return {"colour": colour.lower(), "text": text, "link": link.lower()}


def _languages(store: Store, current: str, url_for) -> list[dict]:
    """The language switcher: the same page in each of the store's locales ``url_for`` can
    name (it returns None for a locale without that page)."""
    languages = []
    for code in store.locales:
        url = url_for(code)
        if url:
            languages.append(
                {"code": code, "name": _language_name(code), "url": url, "current": code == current}
            )
    return languages


def _render(request, store: Store, locale: str, template: str, context: dict, status=200):
    """Render a help-center page in ``locale`` with its Content-Security-Policy."""
    nonce = secrets.token_urlsafe(16)
    context = {
        "store": store,
        "locale": locale,
        "direction": _direction(locale),
        "brand": _brand(store.brand_color),
        "csp_nonce": nonce,
        "query": "",
        **context,
    }
    with translation.override(locale):
        response = render(request, template, context, status=status)
    response["Content-Security-Policy"] = PAGE_CSP.format(nonce=nonce)
    response["Content-Language"] = locale
    return response


def _too_many(request, store, locale):
    response = _render(request, store, locale, "helpcenter/public/message.html", TOO_MANY, 429)
    response["Retry-After"] = "60"
    return response


def _readable_hits(store: Store, hits) -> list:
    """Hits a reader may open: the store's public articles, in one of its locales."""
    return [
        hit
        for hit in hits
        if hit.article.store_id == store.pk
        and hit.article.is_public
        and hit.translation.store_id == store.pk
        and hit.translation.locale in store.locales
    ]


# --- Pages ------------------------------------------------------------------------------


@require_safe
def store_root(request, store: str):
    """``/help/<store>/``: to the reader's language (Accept-Language), else the store's."""
    store_ = _store(store)
    locale = _best_locale(store_, request.headers.get("Accept-Language", ""))
    response = redirect("helpcenter:home", store_.slug, locale)
    patch_vary_headers(response, ["Accept-Language"])
    return response


def _home_section(store: Store, locale: str, category_: Category | None, translations) -> dict:
    """A category on the home page with its first articles (and a link to the rest); the
    articles without a category, which have no page of their own, all of them."""
    if category_ is None:
        return {"name": None, "url": None, "articles": translations, "more": False}
    return {
        "name": category_.name_in(locale, store.default_locale),
        "description": category_.description_in(locale, store.default_locale),
        "url": reverse("helpcenter:category", args=[store.slug, locale, category_.slug]),
        "articles": translations[:ARTICLES_PER_CATEGORY_ON_HOME],
        "count": len(translations),
        "more": len(translations) > ARTICLES_PER_CATEGORY_ON_HOME,
    }


@require_safe
def home(request, store: str, locale: str):
    store_, locale = _store_and_locale(store, locale)
    sections = [
        _home_section(store_, locale, category_, translations)
        for category_, translations in selectors.categories_with_articles(store_, locale)
    ]
    context = {
        "sections": sections,
        "most_viewed": selectors.most_viewed(store_, locale),
        "languages": _languages(
            store_, locale, lambda code: reverse("helpcenter:home", args=[store_.slug, code])
        ),
    }
    return _render(request, store_, locale, "helpcenter/public/home.html", context)


@require_safe
def category(request, store: str, locale: str, category: str):
    store_, locale = _store_and_locale(store, locale)
    category_ = Category.objects.filter(store=store_, slug=category).first()
    if category_ is None:
        raise Http404
    translations = (
        selectors.public_translations(store_)
        .filter(locale=locale, article__category=category_)
        .order_by("article__position", "title")
    )
    context = {
        "category": category_,
        "name": category_.name_in(locale, store_.default_locale),
        "description": category_.description_in(locale, store_.default_locale),
        "translations": list(translations),
        "languages": _languages(
            store_,
            locale,
            lambda code: reverse("helpcenter:category", args=[store_.slug, code, category_.slug]),
        ),
    }
    return _render(request, store_, locale, "helpcenter/public/category.html", context)


def _first_view(request, article) -> bool:
    """Whether this reader has not opened the article in the last half hour (a key in the
    shared cache; no cookie and no session needed)."""
    key = f"helpcenter:viewed:{article.pk}:{_reader(request)}"
    return cache.add(key, 1, timeout=VIEW_REPEAT_SECONDS)


@require_safe
def article(request, store: str, locale: str, slug: str):
    store_, locale = _store_and_locale(store, locale)
    translation_ = selectors.public_translation(store_, locale, slug)
    if translation_ is None:
        raise Http404
    article_ = translation_.article
    if request.method == "GET" and _first_view(request, article_):
        services.view_record(article=article_, locale=locale)
    others = {
        code: other
        for code, other in selectors.translations_of(article_).items()
        if code in store_.locales
    }
    alternates = [
        {"code": code, "url": request.build_absolute_uri(_article_path(store_, others[code]))}
        for code in store_.locales
        if code in others
    ]
    x_default = next((a["url"] for a in alternates if a["code"] == store_.default_locale), None)
    category_ = article_.category if article_.category_id else None
    if category_ is not None and category_.store_id != store_.pk:
        category_ = None
    context = {
        "translation": translation_,
        "canonical": request.build_absolute_uri(_article_path(store_, translation_)),
        "alternates": alternates,
        "x_default": x_default,
        "category": category_,
        "category_name": category_.name_in(locale, store_.default_locale) if category_ else "",
        "related": [
            related
            for related in selectors.related_translations(article_, locale)
            if related.store_id == store_.pk
        ],
        "feedback_thanks": request.GET.get("feedback") == "thanks",
        "max_comment": services.MAX_COMMENT_CHARS,
        "languages": _languages(
            store_,
            locale,
            lambda code: _article_path(store_, others[code]) if code in others else None,
        ),
    }
    return _render(request, store_, locale, "helpcenter/public/article.html", context)


@require_POST
def feedback(request, store: str, locale: str, slug: str):
    """ "Was this helpful?" from the article page's form (CSRF-protected, no JavaScript)."""
    store_, locale = _store_and_locale(store, locale)
    translation_ = selectors.public_translation(store_, locale, slug)
    if translation_ is None:
        raise Http404
    if not rate_allow(
        f"helpcenter:feedback:{_address(request)}",
        limit=FEEDBACK_PER_WINDOW,
        window=FEEDBACK_WINDOW,
    ):
        return _too_many(request, store_, locale)
    helpful = request.POST.get("helpful", "")
    if helpful not in ("yes", "no"):
        context = {"title": _("Bad request"), "message": _("Answer “Yes” or “No”.")}
        return _render(request, store_, locale, "helpcenter/public/message.html", context, 400)
    # Browsers send a line break as two characters; the service keeps at most its maximum.
    comment = request.POST.get("comment", "").replace("\r\n", "\n")
    services.feedback_record(
        article=translation_.article,
        locale=locale,
        helpful=helpful == "yes",
        reader=_reader(request),
        comment=comment[: services.MAX_COMMENT_CHARS],
    )
    return redirect(_article_path(store_, translation_) + "?feedback=thanks#feedback")


@require_safe
def search(request, store: str, locale: str):
    store_, locale = _store_and_locale(store, locale)
    query = _query(request.GET.get("q", ""))
    results = None
    if query:
        if not rate_allow(
            f"helpcenter:search:{_address(request)}", limit=SEARCHES_PER_MINUTE, window=60
        ):
            return _too_many(request, store_, locale)
        hits = _readable_hits(store_, search_articles(store_, query, locale=locale))
        search_id = None
        if request.method == "GET":
            search_id = services.search_record(
                store=store_,
                source=SearchSource.HELP_CENTER,
                locale=locale,
                query=query,
                hits=hits,
                reader=_reader(request),
            )
        results = []
        for hit in hits:
            target = hit.translation
            url = _article_path(store_, target)
            if search_id is not None:
                url = reverse(
                    "helpcenter:search-click", args=[store_.slug, search_id, hit.article.pk]
                )
                url += "?" + urlencode({"locale": target.locale})
            results.append(
                {
                    "title": target.title,
                    "url": url,
                    "locale": target.locale,
                    "other_language": target.locale != locale,
                    "language_name": _language_name(target.locale),
                    "snippet": hit.snippet,
                }
            )

    def search_url(code):
        url = reverse("helpcenter:search", args=[store_.slug, code])
        return f"{url}?{urlencode({'q': query})}" if query else url

    context = {
        "query": query,
        "results": results,
        "languages": _languages(store_, locale, search_url),
    }
    return _render(request, store_, locale, "helpcenter/public/search.html", context)


@require_safe
def search_click(request, store: str, search_id: int, article_id: int):
    """A search result's link: record the click, then go to the article. The target is
    always one of this store's public article pages (never a URL from the request)."""
    store_ = _store(store)
    by_locale = {
        translation_.locale: translation_
        for translation_ in selectors.public_translations(store_).filter(article_id=article_id)
        if translation_.locale in store_.locales
    }
    if not by_locale:
        raise Http404
    wanted = request.GET.get("locale", "")
    target = by_locale.get(wanted) or next(
        by_locale[code] for code in store_.locales if code in by_locale
    )
    if request.method == "GET":
        services.search_click(store=store_, search_id=search_id, article_id=article_id)
    return redirect(_article_path(store_, target))


@require_safe
def sitemap(request, store: str):
    """Every public article page, with its translations as ``hreflang`` alternates (the
    sitemap protocol's xhtml:link extension)."""
    store_ = _store(store)
    locales = store_.locales
    by_article: dict[int, list[ArticleTranslation]] = {}
    for translation_ in selectors.public_translations(store_).order_by("article_id", "locale"):
        if translation_.locale in locales:
            by_article.setdefault(translation_.article_id, []).append(translation_)
    entries = []
    for group in by_article.values():
        group.sort(key=lambda t: locales.index(t.locale))
        alternates = [
            {"code": t.locale, "url": request.build_absolute_uri(_article_path(store_, t))}
            for t in group
        ]
        x_default = next((a["url"] for a in alternates if a["code"] == store_.default_locale), None)
        for translation_, alternate in zip(group, alternates, strict=True):
            entries.append(
                {
                    "loc": alternate["url"],
                    "lastmod": translation_.published_at.date().isoformat()
                    if translation_.published_at
                    else "",
                    "alternates": alternates,
                    "x_default": x_default,
                }
            )
    return render(
        request,
        "helpcenter/public/sitemap.xml",
        {"entries": entries},
        content_type="application/xml; charset=utf-8",
    )


# --- Suggestions while a customer types (cross-origin JSON) ------------------------------


def _cors(response: HttpResponse) -> HttpResponse:
    for name, value in CORS_HEADERS.items():
        response[name] = value
    response["Cache-Control"] = "no-store"
    return response


def _json_error(status: int, message, code: str = "invalid", field: str | None = None):
    return _cors(JsonResponse(error_body(code, str(message), field), status=status))


def _preflight() -> HttpResponse:
    return _cors(HttpResponse(status=204))


def _plain_snippet(snippet: str) -> str:
    """The search snippet as plain text: the ``<mark>`` tags dropped, the escaping undone
    (the client sets it as text, never as HTML)."""
    return html.unescape(_MARK.sub("", snippet))


@require_http_methods(["GET", "OPTIONS"])
def suggest(request, store: str):
    """``?q=&locale=&source=widget|form`` → up to three articles that may answer ``q``."""
    if request.method == "OPTIONS":
        return _preflight()
    store_ = Store.objects.filter(slug=store).first()
    if store_ is None:
        return _json_error(404, _("Not found."), code="not_found")
    source = SUGGEST_SOURCES.get(request.GET.get("source", ""))
    if source is None:
        return _json_error(400, _("Unknown source."), field="source")
    query = _query(request.GET.get("q", ""))
    if len(query) < MIN_SUGGEST_CHARS:
        return _cors(JsonResponse({"search_id": None, "articles": []}))
    if not rate_allow(
        f"helpcenter:suggest:{_address(request)}", limit=SUGGESTIONS_PER_MINUTE, window=60
    ):
        return _json_error(429, TOO_MANY["message"], code="rate_limited")
    locale = _store_locale_for(store_, request.GET.get("locale", "")[:35])
    hits = _readable_hits(
        store_, search_articles(store_, query, locale=locale, limit=MAX_SUGGESTIONS)
    )[:MAX_SUGGESTIONS]
    search_id = services.search_record(
        store=store_,
        source=source,
        locale=locale or "",
        query=query,
        hits=hits,
        reader=_reader(request),
    )
    articles = [
        {
            "id": hit.article.pk,
            "title": hit.translation.title,
            "url": request.build_absolute_uri(_article_path(store_, hit.translation)),
            "snippet": _plain_snippet(hit.snippet),
            "locale": hit.translation.locale,
        }
        for hit in hits
    ]
    return _cors(JsonResponse({"search_id": search_id, "articles": articles}))


def _posted_article_id(request) -> int | None:
    if request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        value = request.POST.get("article_id")
    else:
        try:
            body = json.loads(request.body or b"{}")
        except ValueError:
            return None
        value = body.get("article_id") if isinstance(body, dict) else None
    if isinstance(value, bool):
        return None
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) < 19:
        value = int(value)
    return value if isinstance(value, int) and 0 < value < 2**63 else None


# Exempt from CSRF because it carries no credentials (it reads no cookie and no session) and
# only records that a reader opened a suggestion the same search showed (search_click
# checks it); a forged request can do no more than the public endpoint itself allows.
@csrf_exempt
@require_http_methods(["POST", "OPTIONS"])
def suggest_click(request, store: str, search_id: int):
    """``{"article_id": N}`` (form or JSON): the reader opened this suggestion."""
    if request.method == "OPTIONS":
        return _preflight()
    store_ = Store.objects.filter(slug=store).first()
    if store_ is None:
        return _json_error(404, _("Not found."), code="not_found")
    article_id = _posted_article_id(request)
    if article_id is None:
        return _json_error(400, _("Expected an article id."), field="article_id")
    if not rate_allow(f"helpcenter:click:{_address(request)}", limit=CLICKS_PER_MINUTE, window=60):
        return _json_error(429, TOO_MANY["message"], code="rate_limited")
    services.search_click(store=store_, search_id=search_id, article_id=article_id)
    return _cors(HttpResponse(status=204))
