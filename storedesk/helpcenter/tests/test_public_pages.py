"""The public help center: pages per store and locale, what readers may (not) see, the
search and suggestion logs, feedback, hreflang and the sitemap."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from types import SimpleNamespace

import pytest
from django.test import Client

from storedesk.core.testing import StoreFactory, committed_events
from storedesk.helpcenter import public_views
from storedesk.helpcenter.models import (
    Article,
    ArticleFeedback,
    ArticleTranslation,
    ArticleViewDay,
    HelpSearch,
    SearchSource,
    Visibility,
)
from storedesk.helpcenter.selectors import public_translations
from storedesk.helpcenter.services import article_save, category_save, search_record
from storedesk.helpcenter.tests.conftest import ARTICLES
from storedesk.stores.models import Store

SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
XHTML = "{http://www.w3.org/1999/xhtml}"


def _hidden_articles(store):
    """An internal article and a draft, both with words readers might search for."""
    internal = article_save(
        store=store,
        key="refund-override",
        locale="en",
        title="Refund override procedure",
        body="Agents may override refunds up to 50 EUR. Tracking number exceptions too.",
        visibility=Visibility.INTERNAL,
        publish=True,
    )
    draft = article_save(
        store=store,
        key="secret-sale",
        locale="en",
        title="Secret sale of tracking gadgets",
        body="A sale starts soon. Tracking number gadgets half price.",
    )
    return internal, draft


@pytest.fixture
def site(help_store):
    """The help center's articles published (not indexed: these pages do not search),
    two in a category, related articles, an internal article and a draft."""
    for key, locale, title, body in ARTICLES:
        article_save(store=help_store, key=key, locale=locale, title=title, body=body, publish=True)
    shipping = category_save(
        store=help_store, slug="shipping", names={"en": "Shipping", "hr": "Dostava"}
    )
    Article.objects.filter(store=help_store, key__in=["track-order", "shipping-costs"]).update(
        category=shipping
    )
    _hidden_articles(help_store)
    return help_store


@pytest.fixture
def southwind(db):
    """Another store, with an article of its own."""
    store = StoreFactory(name="Southwind", slug="southwind", supported_locales=["en", "hr"])
    article_save(
        store=store,
        key="southwind-only",
        locale="en",
        title="Southwind secret returns",
        body="Only Southwind customers read this.",
        publish=True,
    )
    return store


def translation(key, locale):
    return ArticleTranslation.objects.get(article__key=key, locale=locale)


def article_url(key, locale, store="northwind"):
    return f"/help/{store}/{locale}/a/{translation(key, locale).slug}/"


class _Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def tags(response):
    parser = _Tags()
    parser.feed(response.content.decode())
    return parser.tags


def links(response, rel):
    return [attrs for tag, attrs in tags(response) if tag == "link" and attrs.get("rel") == rel]


# --- The store's address ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("accept_language", "locale"),
    [
        ("hr-HR,hr;q=0.9,en;q=0.8", "hr"),
        ("en-US,en;q=0.9,hr;q=0.8", "en"),
        ("zh-CN,zh;q=0.9", "zh-hans"),
        ("zh", "zh-hans"),
        ("zh-Hans-CN", "zh-hans"),
        ("zh-TW", "zh-hans"),  # the only Chinese there is
        ("sr-Latn-RS,sr;q=0.9", "hr"),
        ("bs", "hr"),
        ("de;q=1, hr;q=0.5, en;q=0.4", "hr"),
        ("hr;q=0, en", "en"),
        ("de-DE,fr;q=0.8", "en"),
        ("", "en"),
        ("*;q=0.5, ;;q=x, <script>", "en"),
    ],
)
def test_the_store_address_redirects_to_the_readers_language(
    client, help_store, accept_language, locale
):
    response = client.get("/help/northwind/", HTTP_ACCEPT_LANGUAGE=accept_language)
    assert response.status_code == 302
    assert response["Location"] == f"/help/northwind/{locale}/"
    assert "Accept-Language" in response["Vary"]


def test_serbian_readers_get_serbian_when_the_store_has_it(client, db):
    StoreFactory(slug="balkan", default_locale="hr", supported_locales=["hr", "sr", "en"])
    assert client.get("/help/balkan/", HTTP_ACCEPT_LANGUAGE="sr")["Location"] == "/help/balkan/sr/"
    assert client.get("/help/balkan/", HTTP_ACCEPT_LANGUAGE="bs")["Location"] == "/help/balkan/hr/"
    assert client.get("/help/balkan/")["Location"] == "/help/balkan/hr/"  # the default


@pytest.mark.parametrize(
    "path",
    [
        "/help/nowhere/",
        "/help/nowhere/en/",
        "/help/northwind/de/",
        "/help/northwind/HR/",
        "/help/northwind/en/c/nowhere/",
        "/help/northwind/en/a/nowhere/",
        "/help/nowhere/sitemap.xml",
    ],
)
def test_unknown_stores_locales_and_pages_are_404(client, site, path):
    assert client.get(path).status_code == 404


# --- Home and category pages --------------------------------------------------------------


def test_home_page(client, site):
    Article.objects.filter(key="return-policy").update(view_count=7)
    response = client.get("/help/northwind/hr/")
    assert response.status_code == 200
    body = response.content.decode()
    assert '<html lang="hr" dir="ltr">' in body
    assert '<meta name="viewport"' in body
    assert "Northwind" in body
    assert 'action="/help/northwind/hr/search"' in body and 'name="q"' in body
    # Categories with their titles in this locale, the uncategorised ones after them.
    categories = body[body.index(">Dostava</a></h2>") :]
    assert categories.index("Praćenje narudžbe") < categories.index("Povrat robe")
    assert 'href="/help/northwind/hr/c/shipping/"' in body
    assert "Promjena adrese e-pošte" in body
    assert "Payment methods" not in body  # written in English only
    # Most viewed, then the language switcher to the other locales' home pages.
    assert "Most viewed" in body or "Najčitanije" in body
    assert body.index(article_url("return-policy", "hr")) < body.index("Dostava")
    assert 'href="/help/northwind/en/" hreflang="en"' in body
    assert 'href="/help/northwind/zh-hans/" hreflang="zh-hans"' in body
    assert response["Content-Language"] == "hr"
    assert "Pretraži" in body  # the page's strings in its locale


def test_hidden_articles_are_on_no_page(client, site):
    for path in (
        "/help/northwind/en/",
        "/help/northwind/en/c/shipping/",
        "/help/northwind/sitemap.xml",
    ):
        body = client.get(path).content.decode()
        assert "Refund override" not in body and "Secret sale" not in body
    Article.objects.filter(key__in=["refund-override", "secret-sale"]).update(view_count=99)
    body = client.get("/help/northwind/en/").content.decode()
    assert "Refund override" not in body and "Secret sale" not in body


def test_category_page(client, site):
    response = client.get("/help/northwind/en/c/shipping/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "<h1>Shipping</h1>" in body
    assert "Track your order" in body and "Shipping costs" in body
    assert "Returns within 30 days" not in body
    assert 'href="/help/northwind/hr/c/shipping/"' in body
    # A locale without articles in the category still has the page (the switcher's link).
    body = client.get("/help/northwind/zh-hans/c/shipping/").content.decode()
    assert "跟踪您的订单" in body and "Shipping costs" not in body


def test_a_locale_django_has_no_catalog_for_still_renders(client, db):
    store = StoreFactory(slug="kiosk", default_locale="sw", supported_locales=["sw", "xx"])
    article_save(store=store, key="hello", locale="xx", title="Hello", body="Text.", publish=True)
    for locale in ("sw", "xx"):
        response = client.get(f"/help/kiosk/{locale}/")
        assert response.status_code == 200
        assert f'<html lang="{locale}"' in response.content.decode()
    response = client.get("/help/kiosk/xx/a/hello/")
    assert response.status_code == 200 and "Was this helpful?" in response.content.decode()


# --- The article page ---------------------------------------------------------------------


def test_article_page(client, site):
    shipping = translation("shipping-costs", "hr").article
    track = translation("track-order", "hr").article
    track.related.add(shipping)
    response = client.get(article_url("track-order", "hr"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "<h1>Praćenje narudžbe</h1>" in body
    assert "<h2>Broj za praćenje</h2>" in body  # the rendered Markdown
    assert 'href="/help/northwind/hr/c/shipping/">Dostava</a>' in body  # breadcrumb
    assert f'href="{article_url("shipping-costs", "hr")}">Troškovi dostave</a>' in body
    # Language switcher: the article's own translations.
    assert f'href="{article_url("track-order", "en")}" hreflang="en"' in body
    assert f'href="{article_url("track-order", "zh-hans")}" hreflang="zh-hans"' in body
    assert 'action="' + article_url("track-order", "hr") + 'feedback"' in body
    assert "csrfmiddlewaretoken" in body


def test_canonical_and_hreflang_links(client, site):
    response = client.get(article_url("track-order", "hr"))
    server = "http://testserver"
    assert [link["href"] for link in links(response, "canonical")] == [
        server + article_url("track-order", "hr")
    ]
    alternates = {link["hreflang"]: link["href"] for link in links(response, "alternate")}
    assert alternates == {
        "en": server + article_url("track-order", "en"),
        "hr": server + article_url("track-order", "hr"),
        "zh-hans": server + article_url("track-order", "zh-hans"),
        "x-default": server + article_url("track-order", "en"),
    }
    # Only a Croatian translation: no x-default (the default locale has none).
    response = client.get(article_url("change-email", "hr"))
    alternates = {link["hreflang"]: link["href"] for link in links(response, "alternate")}
    assert alternates == {"hr": server + article_url("change-email", "hr")}


def test_an_article_in_another_locale_internal_or_draft_is_404(client, site):
    # The English slug under /hr/ (and the Croatian one under /en/) do not leak.
    for locale, other in (("hr", "en"), ("en", "hr")):
        slug = translation("track-order", other).slug
        assert client.get(f"/help/northwind/{locale}/a/{slug}/").status_code == 404
    for key in ("refund-override", "secret-sale"):
        slug = translation(key, "en").slug
        assert client.get(f"/help/northwind/en/a/{slug}/").status_code == 404
        response = client.post(f"/help/northwind/en/a/{slug}/feedback", {"helpful": "yes"})
        assert response.status_code == 404
    assert not ArticleFeedback.objects.exists()


def test_hostile_titles_and_bodies_render_inert(client, help_store):
    article_save(
        store=help_store,
        key="hostile",
        locale="en",
        title="<img src=x onerror=alert(1)>",
        body=(
            "Hello <script>alert(1)</script> and <img src=x onerror=alert(2)>\n\n"
            '[click](javascript:alert(3)) <a href="#" onclick="alert(4)">x</a>\n\n'
            "<svg onload=alert(5)>"
        ),
        publish=True,
    )
    evil = category_save(store=help_store, slug="evil", names={"en": '"><script>alert(6)</script>'})
    Article.objects.filter(key="hostile").update(category=evil)
    # Written around the model's validation, as a bad import or a bug could.
    Store.objects.filter(pk=help_store.pk).update(
        name="<b onmouseover=alert(7)>Shop</b>", brand_color="red;}<a"
    )
    url = f"/help/northwind/en/a/{translation('hostile', 'en').slug}/"
    for path in (url, "/help/northwind/en/", "/help/northwind/en/c/evil/"):
        response = client.get(path)
        assert response.status_code == 200
        body = response.content.decode()
        parsed = tags(response)
        assert not [tag for tag, _attrs in parsed if tag in ("script", "svg", "iframe")]
        assert not [
            name for _tag, attrs in parsed for name in attrs if name.lower().startswith("on")
        ]
        assert not [
            value
            for _tag, attrs in parsed
            for value in attrs.values()
            if value and value.strip().lower().startswith("javascript:")
        ]
        assert "&lt;img src=x onerror=alert(1)&gt;" in body
        assert "&lt;b onmouseover=alert(7)&gt;Shop&lt;/b&gt;" in body
        assert "--brand: #1f6feb" in body  # an invalid colour falls back to the default
        assert "<script" not in body


def test_pages_carry_a_content_security_policy_without_scripts(client, site):
    response = client.get(article_url("track-order", "en"))
    csp = response["Content-Security-Policy"]
    assert "default-src 'none'" in csp and "script-src" not in csp
    assert "frame-ancestors 'none'" in csp
    nonce = re.search(r"'nonce-([^']+)'", csp).group(1)
    styles = [attrs for tag, attrs in tags(response) if tag == "style"]
    assert styles == [{"nonce": nonce}]
    assert "<script" not in response.content.decode()
    assert client.get(article_url("track-order", "en"))["Content-Security-Policy"] != csp


def test_views_are_counted_once_per_reader_and_not_for_head(client, site):
    url = article_url("track-order", "en")
    article = translation("track-order", "en").article
    assert client.head(url).status_code == 200
    article.refresh_from_db()
    assert article.view_count == 0
    client.get(url)
    client.get(url)
    client.get(url, HTTP_USER_AGENT="Another browser")
    client.get(article_url("track-order", "hr"))  # the same reader, the same article
    article.refresh_from_db()
    assert article.view_count == 2
    assert {(day.locale, day.count) for day in ArticleViewDay.objects.filter(article=article)} == {
        ("en", 2)
    }
    assert "sessionid" not in client.get(url).cookies  # no session needed for it


# --- Feedback -----------------------------------------------------------------------------


def test_feedback_is_one_vote_per_reader(client, site):
    url = article_url("warranty", "en")
    article = translation("warranty", "en").article
    response = client.post(url + "feedback", {"helpful": "yes"})
    assert response.status_code == 302
    assert response["Location"] == url + "?feedback=thanks#feedback"
    assert "Thank you for your feedback" in client.get(response["Location"]).content.decode()
    # The same reader changes their mind: the vote is replaced, with a comment.
    client.post(url + "feedback", {"helpful": "no", "comment": "Which <b>blender</b>?"})
    feedback = ArticleFeedback.objects.get()
    assert (feedback.helpful, feedback.comment, feedback.locale) == (
        False,
        "Which <b>blender</b>?",
        "en",
    )
    article.refresh_from_db()
    assert (article.helpful_count, article.unhelpful_count) == (0, 1)
    # Another reader (another browser) votes too.
    client.post(url + "feedback", {"helpful": "yes"}, HTTP_USER_AGENT="Firefox")
    client.post(url + "feedback", {"helpful": "yes"}, REMOTE_ADDR="203.0.113.9")
    article.refresh_from_db()
    assert ArticleFeedback.objects.count() == 3
    assert (article.helpful_count, article.unhelpful_count) == (2, 1)
    assert ArticleFeedback.objects.filter(helpful=True).count() == article.helpful_count


def test_feedback_validates_its_answer_and_comment(client, site):
    url = article_url("warranty", "en") + "feedback"
    for answer in ("", "maybe", "YES"):
        assert client.post(url, {"helpful": answer}).status_code == 400
    assert client.get(url).status_code == 405
    assert not ArticleFeedback.objects.exists()
    client.post(url, {"helpful": "no", "comment": "x\r\n" * 1500})
    assert len(ArticleFeedback.objects.get().comment) <= 2000


def test_feedback_needs_the_csrf_token(site):
    browser = Client(enforce_csrf_checks=True)
    url = article_url("warranty", "en")
    assert browser.post(url + "feedback", {"helpful": "yes"}).status_code == 403
    page = browser.get(url).content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    response = browser.post(url + "feedback", {"helpful": "yes", "csrfmiddlewaretoken": token})
    assert response.status_code == 302
    assert ArticleFeedback.objects.count() == 1


def test_feedback_is_rate_limited_per_address(client, site, monkeypatch):
    monkeypatch.setattr(public_views, "FEEDBACK_PER_WINDOW", 2)
    url = article_url("warranty", "en") + "feedback"
    assert client.post(url, {"helpful": "yes"}).status_code == 302
    assert client.post(url, {"helpful": "no"}).status_code == 302
    response = client.post(url, {"helpful": "yes"})
    assert response.status_code == 429
    assert client.post(url, {"helpful": "yes"}, REMOTE_ADDR="203.0.113.9").status_code == 302


# --- Search ---------------------------------------------------------------------------------


def test_search_page_records_the_search_and_the_click(client, articles):
    with committed_events():
        _hidden_articles(articles)
    response = client.get("/help/northwind/en/search", {"q": "tracking number"})
    assert response.status_code == 200
    body = response.content.decode()
    search = HelpSearch.objects.get()
    track = translation("track-order", "en").article
    assert (search.source, search.locale, search.query) == (
        SearchSource.HELP_CENTER,
        "en",
        "tracking number",
    )
    assert search.shown[0] == track.pk and search.result_count == len(search.shown)
    click = f"/help/northwind/r/{search.pk}/{track.pk}/?locale=en"
    assert f'href="{click.replace("&", "&amp;")}"' in body
    assert "<mark>" in body and '<meta name="robots" content="noindex">' in body
    # Hidden articles match the words but are never shown.
    assert "Refund override" not in body and "Secret sale" not in body
    hidden = Article.objects.filter(key__in=["refund-override", "secret-sale"])
    assert not set(search.shown) & set(hidden.values_list("pk", flat=True))

    response = client.get(click)
    assert response.status_code == 302
    assert response["Location"] == article_url("track-order", "en")
    search.refresh_from_db()
    assert search.clicked_id == track.pk


def test_search_links_an_untranslated_article_in_its_own_language(client, articles):
    body = client.get("/help/northwind/hr/search", {"q": "blender warranty"}).content.decode()
    warranty = translation("warranty", "en").article
    search = HelpSearch.objects.get()
    assert search.locale == "hr"
    assert f"/help/northwind/r/{search.pk}/{warranty.pk}/?locale=en" in body
    assert '<span class="hc-tag" lang="en">English</span>' in body
    response = client.get(f"/help/northwind/r/{search.pk}/{warranty.pk}/?locale=en")
    assert response["Location"] == article_url("warranty", "en")


def test_an_empty_search_shows_the_box_only(client, site):
    for query in ("", "   "):
        response = client.get("/help/northwind/en/search", {"q": query})
        assert response.status_code == 200
        assert 'name="q"' in response.content.decode()
    assert client.get("/help/northwind/en/search").status_code == 200
    assert not HelpSearch.objects.exists()


def test_a_long_query_is_cut(client, site, monkeypatch):
    asked = []
    monkeypatch.setattr(
        public_views, "search_articles", lambda store, q, **kw: asked.append(q) or []
    )
    response = client.get("/help/northwind/en/search", {"q": "parcel " * 400})
    assert response.status_code == 200
    assert len(asked[0]) <= 500
    assert len(HelpSearch.objects.get().query) <= 500


def test_searches_are_rate_limited_per_address(client, site, monkeypatch):
    monkeypatch.setattr(public_views, "SEARCHES_PER_MINUTE", 2)
    monkeypatch.setattr(public_views, "search_articles", lambda *args, **kwargs: [])
    for _ in range(2):
        assert client.get("/help/northwind/en/search", {"q": "parcel"}).status_code == 200
    response = client.get("/help/northwind/en/search", {"q": "parcel"})
    assert response.status_code == 429 and response["Retry-After"] == "60"
    assert HelpSearch.objects.count() == 2


def _search_showing(store, *articles):
    hits = [SimpleNamespace(article=article) for article in articles]
    return search_record(
        store=store, source=SearchSource.HELP_CENTER, locale="en", query="q", hits=hits
    )


def test_the_click_redirect_stays_on_the_stores_public_articles(client, site, southwind):
    track = translation("track-order", "en").article
    warranty = translation("warranty", "en").article
    foreign = Article.objects.get(store=southwind)
    internal = Article.objects.get(key="refund-override")
    search_id = _search_showing(site, track, foreign, internal)
    foreign_search = _search_showing(southwind, foreign)

    # Another store's or a hidden article: 404, through either store's search.
    for path in (
        f"/help/northwind/r/{search_id}/{foreign.pk}/",
        f"/help/northwind/r/{foreign_search}/{foreign.pk}/",
        f"/help/northwind/r/{search_id}/{internal.pk}/",
        f"/help/northwind/r/{search_id}/{Article.objects.get(key='secret-sale').pk}/",
        f"/help/southwind/r/{search_id}/{track.pk}/",
        "/help/northwind/r/1/https:/evil.example/",
    ):
        assert client.get(path).status_code == 404, path
    # Nothing from the request decides the target but the article and a known locale.
    for query in ("?locale=https://evil.example", "?next=https://evil.example", "?locale=de"):
        response = client.get(f"/help/northwind/r/{search_id}/{track.pk}/{query}")
        assert response["Location"] == article_url("track-order", "en")
    response = client.get(f"/help/northwind/r/{search_id}/{track.pk}/?locale=zh-hans")
    assert response["Location"] == article_url("track-order", "zh-hans")
    # Another store's search, or an article the search did not show: not recorded.
    client.get(f"/help/northwind/r/{foreign_search}/{track.pk}/")
    client.get(f"/help/northwind/r/{search_id}/{warranty.pk}/")
    assert HelpSearch.objects.get(pk=foreign_search).clicked_id is None
    assert HelpSearch.objects.get(pk=search_id).clicked_id == track.pk


# --- Another store's article, through every address ----------------------------------------


def test_another_stores_article_is_404_through_every_url(client, site, southwind):
    foreign = ArticleTranslation.objects.get(store=southwind)
    slug = foreign.slug
    assert client.get(f"/help/southwind/en/a/{slug}/").status_code == 200  # its own store
    assert client.get(f"/help/northwind/en/a/{slug}/").status_code == 404
    assert client.get(f"/help/northwind/hr/a/{slug}/").status_code == 404
    response = client.post(f"/help/northwind/en/a/{slug}/feedback", {"helpful": "yes"})
    assert response.status_code == 404
    assert not ArticleFeedback.objects.exists()
    search_id = _search_showing(site, translation("track-order", "en").article)
    assert client.get(f"/help/northwind/r/{search_id}/{foreign.article_id}/").status_code == 404
    response = client.post(
        f"/help/northwind/suggest/{search_id}/click", {"article_id": foreign.article_id}
    )
    assert response.status_code == 204
    assert HelpSearch.objects.get(pk=search_id).clicked_id is None
    assert slug not in client.get("/help/northwind/sitemap.xml").content.decode()
    for path in ("/help/northwind/en/", "/help/northwind/en/c/shipping/"):
        assert "Southwind secret" not in client.get(path).content.decode()


# --- Sitemap --------------------------------------------------------------------------------


def test_sitemap_lists_exactly_the_public_translations(client, site, southwind):
    response = client.get("/help/northwind/sitemap.xml")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/xml")
    root = ET.fromstring(response.content)
    assert root.tag == f"{SITEMAP}urlset"
    entries = {url.find(f"{SITEMAP}loc").text: url for url in root.findall(f"{SITEMAP}url")}
    server = "http://testserver"
    expected = {
        server + f"/help/northwind/{t.locale}/a/{t.slug}/" for t in public_translations(site)
    }
    assert set(entries) == expected
    assert len(entries) == len(ARTICLES) == len(root.findall(f"{SITEMAP}url"))

    track_hr = translation("track-order", "hr")
    entry = entries[server + article_url("track-order", "hr")]
    assert entry.find(f"{SITEMAP}lastmod").text == track_hr.published_at.date().isoformat()
    alternates = {link.get("hreflang"): link.get("href") for link in entry.findall(f"{XHTML}link")}
    assert alternates == {
        "en": server + article_url("track-order", "en"),
        "hr": server + article_url("track-order", "hr"),
        "zh-hans": server + article_url("track-order", "zh-hans"),
        "x-default": server + article_url("track-order", "en"),
    }
    assert all(link.get("rel") == "alternate" for link in entry.findall(f"{XHTML}link"))
    entry = entries[server + article_url("change-email", "hr")]
    assert {link.get("hreflang") for link in entry.findall(f"{XHTML}link")} == {"hr"}


# --- Suggestions (the chat widget and the contact form) --------------------------------------


def test_suggestions_while_typing(client, articles):
    with committed_events():
        _hidden_articles(articles)
    response = client.get(
        "/help/northwind/suggest",
        {"q": "where is my parcel tracking number", "locale": "en", "source": "widget"},
        HTTP_ORIGIN="https://shop.example",
    )
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == "*"
    assert not response.cookies
    data = response.json()
    track = translation("track-order", "en").article
    assert 1 <= len(data["articles"]) <= 3
    first = data["articles"][0]
    assert first == {
        "id": track.pk,
        "title": "Track your order",
        "url": "http://testserver" + article_url("track-order", "en"),
        "snippet": first["snippet"],
        "locale": "en",
    }
    assert first["snippet"] and "<" not in first["snippet"] and "tracking" in first["snippet"]
    search = HelpSearch.objects.get(pk=data["search_id"])
    assert (search.source, search.locale) == (SearchSource.WIDGET, "en")
    assert search.shown == [article["id"] for article in data["articles"]]
    hidden = set(
        Article.objects.filter(key__in=["refund-override", "secret-sale"]).values_list(
            "pk", flat=True
        )
    )
    assert not {article["id"] for article in data["articles"]} & hidden

    # The contact form, in Croatian (a browser's language code is matched to the store's).
    data = client.get(
        "/help/northwind/suggest", {"q": "broj za praćenje", "locale": "hr-HR", "source": "form"}
    ).json()
    assert data["articles"][0]["locale"] == "hr"
    assert data["articles"][0]["url"].endswith(article_url("track-order", "hr"))
    search = HelpSearch.objects.get(pk=data["search_id"])
    assert (search.source, search.locale) == (SearchSource.CONTACT_FORM, "hr")

    # Recording the click: a form body (navigator.sendBeacon) or JSON.
    response = client.post(
        f"/help/northwind/suggest/{search.pk}/click", {"article_id": str(search.shown[0])}
    )
    assert response.status_code == 204 and response["Access-Control-Allow-Origin"] == "*"
    assert HelpSearch.objects.get(pk=search.pk).clicked_id == search.shown[0]


def test_short_queries_suggest_nothing_and_record_nothing(client, site):
    for query in ("", "ab", "  a  ", " 猫 "):
        response = client.get(
            "/help/northwind/suggest", {"q": query, "locale": "en", "source": "form"}
        )
        assert response.json() == {"search_id": None, "articles": []}
    assert not HelpSearch.objects.exists()


def test_suggestion_requests_are_checked(client, site, monkeypatch):
    assert client.get("/help/nowhere/suggest", {"q": "parcel", "source": "form"}).status_code == 404
    response = client.get("/help/northwind/suggest", {"q": "parcel", "source": "email"})
    assert response.status_code == 400 and response.json()["error"]["field"] == "source"
    monkeypatch.setattr(public_views, "SUGGESTIONS_PER_MINUTE", 1)
    monkeypatch.setattr(public_views, "search_articles", lambda *args, **kwargs: [])
    assert (
        client.get("/help/northwind/suggest", {"q": "parcel", "source": "form"}).status_code == 200
    )
    response = client.get("/help/northwind/suggest", {"q": "parcel", "source": "form"})
    assert response.status_code == 429
    assert response["Access-Control-Allow-Origin"] == "*"
    assert response.json()["error"]["code"] == "rate_limited"


def test_suggestion_endpoints_answer_preflight(client, site):
    for path in ("/help/northwind/suggest", "/help/northwind/suggest/1/click"):
        response = client.options(
            path,
            HTTP_ORIGIN="https://shop.example",
            HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
            HTTP_ACCESS_CONTROL_REQUEST_HEADERS="content-type",
        )
        assert response.status_code == 204
        assert response["Access-Control-Allow-Origin"] == "*"
        assert "POST" in response["Access-Control-Allow-Methods"]
        assert "Content-Type" in response["Access-Control-Allow-Headers"]
        assert "Access-Control-Allow-Credentials" not in response


def test_suggestion_clicks(site, southwind):
    shop = Client(enforce_csrf_checks=True)  # cross-origin: no CSRF token to send
    track = translation("track-order", "en").article
    warranty = translation("warranty", "en").article
    search_id = _search_showing(site, track)
    url = f"/help/northwind/suggest/{search_id}/click"

    def post_json(body):
        return shop.post(url, body, content_type="application/json")

    for body in ("not json", [1], {"article_id": "x"}, {}, {"article_id": True}):
        response = post_json(body if isinstance(body, str) else json.dumps(body))
        assert response.status_code == 400
    # An article the search did not show, or another store's search: accepted, not recorded.
    response = post_json(json.dumps({"article_id": warranty.pk}))
    assert response.status_code == 204
    foreign_search = _search_showing(southwind, track)
    shop.post(f"/help/northwind/suggest/{foreign_search}/click", {"article_id": track.pk})
    assert not HelpSearch.objects.exclude(clicked=None).exists()
    assert shop.post("/help/nowhere/suggest/1/click", {"article_id": 1}).status_code == 404
    response = post_json(json.dumps({"article_id": track.pk}))
    assert response.status_code == 204 and not response.cookies
    assert HelpSearch.objects.get(pk=search_id).clicked_id == track.pk
    assert shop.get(url).status_code == 405


def test_home_shows_a_categorys_first_articles_and_links_to_the_rest(client, help_store):
    faq = category_save(store=help_store, slug="faq", names={"en": "Questions"})
    for n in range(9):
        article_save(
            store=help_store, key=f"q{n}", locale="en", title=f"Question {n}", body="A.",
            category=faq if n < 7 else None, publish=True,
        )  # fmt: skip
    body = client.get("/help/northwind/en/").content.decode()
    assert body.count("Question ") == 6 + 2  # the category's first six, every other one
    assert 'href="/help/northwind/en/c/faq/">See all articles (7)</a>' in body
    assert client.get("/help/northwind/en/c/faq/").content.decode().count("Question ") == 7


def test_pages_cost_a_fixed_number_of_queries(client, site, django_assert_max_num_queries):
    track = translation("track-order", "en").article
    track.related.add(translation("shipping-costs", "en").article)
    Article.objects.update(view_count=3)
    with django_assert_max_num_queries(5):
        assert client.get("/help/northwind/en/").status_code == 200
    with django_assert_max_num_queries(5):
        assert client.get("/help/northwind/en/c/shipping/").status_code == 200
    with django_assert_max_num_queries(6):
        assert client.head(article_url("track-order", "en")).status_code == 200
    with django_assert_max_num_queries(4):
        assert client.get("/help/northwind/sitemap.xml").status_code == 200
