"""The help center in the workspace: article list, editor and live preview, categories,
content gaps and the composer's article picker; who may see and change what."""

import re
from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.test import Client
from django.utils import timezone
from playwright.sync_api import expect

from storedesk.accounts.enums import Role
from storedesk.conversations import services as conversation_services
from storedesk.conversations.models import Conversation
from storedesk.core.testing import (
    AgentFactory,
    StoreFactory,
    committed_events,
    inbound,
    make_inbox,
)
from storedesk.helpcenter import services
from storedesk.helpcenter.models import (
    Article,
    ArticleFeedback,
    ArticleRevision,
    ArticleTranslation,
    ArticleViewDay,
    Category,
    HelpSearch,
    Visibility,
)
from storedesk.helpcenter.search import search_articles

pytestmark = pytest.mark.django_db

CANARY = "CANARY-51ab"


def client_for(agent) -> Client:
    client = Client()
    client.force_login(agent)
    return client


def publish(store, key, title, body="Some text.", *, locale="en", **fields):
    with committed_events():
        return services.article_save(
            store=store, key=key, locale=locale, title=title, body=body, publish=True, **fields
        )


def draft(store, key, title, body="Draft text.", *, locale="en", **fields):
    with committed_events():
        return services.article_save(
            store=store, key=key, locale=locale, title=title, body=body, **fields
        )


def article_ids(response) -> list[int]:
    return [int(i) for i in re.findall(rb'data-article-id="(\d+)"', response.content)]


def field_errors(response, field: str) -> list[str]:
    """The error messages shown inside the form field ``field``'s block."""
    page = response.content.decode()
    block = re.search(
        rf'<div class="field[^"]*">\s*<label for="id_{field}">.*?</div>', page, re.DOTALL
    )
    assert block, f"no field {field}"
    return re.findall(r'<p class="error field-error" role="alert">(.*?)</p>', block.group(0))


@pytest.fixture
def shop(store):
    store.supported_locales = ["en", "hr"]
    store.save()
    return store


@pytest.fixture
def canary(other_store):
    """A published public article of another store, and a conversation there."""
    translation = publish(other_store, "canary", f"Track your order {CANARY}", f"{CANARY} text")
    inbox = make_inbox(other_store, "api", "Other")
    conversation = conversation_services.message_receive(
        inbox=inbox, inbound=inbound("Where is my parcel?", email="other@example.com")
    ).conversation
    return SimpleNamespace(translation=translation, conversation=conversation)


@pytest.fixture
def supervisor(db):
    return AgentFactory(username="lead", role=Role.SUPERVISOR)


# --- Navigation and list ------------------------------------------------------------------


def test_every_agent_finds_the_help_center_in_the_navigation(signed_in, restricted_agent):
    for client in (signed_in, client_for(restricted_agent)):
        page = client.get("/inbox/").content.decode()
        assert 'href="/helpcenter/"' in page
    assert Client().get("/helpcenter/").status_code == 302  # signed out: to sign-in


def test_the_list_shows_translations_category_views_and_feedback(shop, agent):
    category = services.category_save(
        store=shop, slug="shipping", names={"en": "Shipping", "hr": "Dostava"}
    )
    english = publish(shop, "track", "Track your order", category=category)
    draft(shop, "track", "Praćenje narudžbe", locale="hr")
    for _ in range(3):
        services.view_record(article=english.article, locale="en")
    for reader, helpful in (("a", True), ("b", True), ("c", False)):
        services.feedback_record(
            article=english.article, locale="en", helpful=helpful, reader=reader
        )
    response = client_for(agent).get("/helpcenter/")
    assert response.status_code == 200
    page = response.content.decode()
    row = re.search(r'<tr data-article-id="\d+">.*?</tr>', page, re.DOTALL).group(0)
    assert "Track your order" in row and "Shipping" in row
    assert re.search(r'class="locale-badge state-published"[^>]*>en<', row)
    assert re.search(r'class="locale-badge state-draft"[^>]*>hr<', row)
    assert '<td class="num hide-narrow">3</td>' in row
    assert "2 / 1" in row and "(67 %)" in row
    # In the agent's own language when the article has it.
    agent.locale = "hr"
    agent.save()
    page = client_for(agent).get("/helpcenter/").content.decode()
    assert "Praćenje narudžbe" in page and "Dostava" in page
    assert ">Centar za pomoć<" in page and ">Prijevodi<" in page  # the interface, too


def test_the_list_filters(shop, other_store, agent):
    category = services.category_save(store=shop, slug="payments", names={"en": "Payments"})
    published = publish(shop, "paid", "Payment methods", category=category).article
    changed = publish(shop, "changed", "Returns").article
    draft(shop, "changed", "Returns (new)", article=changed)
    drafted = draft(shop, "drafted", "Gift cards").article
    internal = publish(shop, "internal", "Refund override", visibility=Visibility.INTERNAL).article
    croatian = draft(shop, "croatian", "Dostava", locale="hr").article
    elsewhere = publish(other_store, "elsewhere", "Warranty").article
    client = client_for(agent)

    def ids(query):
        return set(article_ids(client.get(f"/helpcenter/?{query}")))

    assert ids("") == {published.pk, changed.pk, drafted.pk, internal.pk, croatian.pk, elsewhere.pk}
    assert ids(f"store={other_store.pk}") == {elsewhere.pk}
    assert ids(f"category={category.pk}") == {published.pk}
    assert ids("locale=hr") == {croatian.pk}
    assert ids("status=published") == {published.pk, changed.pk, internal.pk, elsewhere.pk}
    assert ids("status=draft") == {drafted.pk, croatian.pk}
    assert ids("status=changes") == {changed.pk}
    assert ids("visibility=internal") == {internal.pk}
    assert ids("visibility=public&status=draft&locale=en") == {drafted.pk}
    # Unknown values are ignored, never an error.
    assert client.get("/helpcenter/?status=x&store=y&category=z&cursor=%%%").status_code == 200
    # The filters answer htmx with the list alone.
    partial = client.get(
        "/helpcenter/?status=draft", HTTP_HX_REQUEST="true", HTTP_HX_TARGET="helpcenter-main"
    )
    assert b"<html" not in partial.content and b'class="table articles"' in partial.content


def test_the_search_box_uses_the_help_center_search_and_finds_draft_titles(shop, agent):
    returns = publish(
        shop, "returns", "Returns within 30 days", "Send items back for a full refund."
    ).article
    internal = publish(
        shop,
        "override",
        "Refund override",
        "Agents may refund up to 50 EUR.",
        visibility=Visibility.INTERNAL,
    ).article
    publish(shop, "payment", "Payment methods", "Visa, Mastercard and PayPal.")
    secret = draft(shop, "secret", "Secret summer sale", "Not public yet.").article
    client = client_for(agent)
    found = article_ids(client.get("/helpcenter/?q=refund"))
    assert set(found) >= {returns.pk, internal.pk}  # internal articles too: agents read them
    # A title as typed comes first, drafts included (the search engine knows published text).
    assert article_ids(client.get("/helpcenter/?q=summer+sale"))[0] == secret.pk
    public = article_ids(client.get("/helpcenter/?q=refund&visibility=public"))
    assert returns.pk in public and internal.pk not in public


def test_the_list_costs_the_same_number_of_queries_for_more_articles(
    shop, agent, django_assert_max_num_queries
):
    client = client_for(agent)
    publish(shop, "first", "First")
    with django_assert_max_num_queries(20) as small:
        client.get("/helpcenter/")
    for i in range(8):
        publish(shop, f"more-{i}", f"More {i}")
        draft(shop, f"more-{i}", f"Više {i}", locale="hr")
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = client.get("/helpcenter/")
    assert len(article_ids(response)) == 9


# --- Scoping: a restricted agent sees its stores only -------------------------------------


def test_a_restricted_agent_never_sees_another_stores_articles(
    shop, canary, restricted_agent, api_inbox
):
    mine = publish(shop, "mine", "Track your order", "Tracking numbers by email.")
    client = client_for(restricted_agent)
    other_store = canary.translation.store
    for path in (
        "/helpcenter/",
        f"/helpcenter/?store={other_store.pk}",
        "/helpcenter/?q=track+your+order",
        f"/helpcenter/?q=track+your+order&store={other_store.pk}",
    ):
        response = client.get(path)
        assert response.status_code == 200, path
        assert CANARY not in response.content.decode()
    assert article_ids(client.get("/helpcenter/")) == [mine.article_id]
    assert canary.translation.article_id not in article_ids(client.get(f"/helpcenter/?q={CANARY}"))
    # The same search finds it for an agent who may see that store.
    unrestricted = client_for(AgentFactory(role=Role.AGENT))
    assert article_ids(unrestricted.get(f"/helpcenter/?q={CANARY}"))[0] == (
        canary.translation.article_id
    )
    assert article_ids(client.get("/helpcenter/?q=track+your+order")) == [mine.article_id]
    # The other store's article, its translation and its actions are 404 (not 403).
    article_id = canary.translation.article_id
    assert client.get(f"/helpcenter/{article_id}/en/").status_code == 404
    assert client.post(f"/helpcenter/{article_id}/en/", {"title": "x"}).status_code == 404
    assert client.post(f"/helpcenter/{article_id}/delete", {"confirm": "yes"}).status_code == 403
    # The preview reads nothing stored: it renders what was sent, and only that.
    preview = client.post("/helpcenter/preview", {"body": "**hello**", "article": article_id})
    assert preview.status_code == 200
    assert preview.content.decode().strip() == "<p><strong>hello</strong></p>"
    # The picker of another store's conversation is 404; of its own, its own articles.
    assert client.get(f"/c/{canary.conversation.pk}/articles?q=track").status_code == 404
    own = conversation_services.message_receive(inbox=api_inbox, inbound=inbound("Parcel?"))
    picked = client.get(f"/c/{own.conversation_id}/articles?q=track+your+order")
    assert CANARY not in picked.content.decode()
    assert f"/help/{shop.slug}/en/a/{mine.slug}/" in picked.content.decode()
    # Content gaps are not for restricted agents at all.
    assert client.get("/helpcenter/gaps/").status_code == 403
    assert Article.objects.filter(pk=article_id).exists()


def test_a_restricted_agent_reads_but_does_not_edit(shop, restricted_agent):
    translation = publish(shop, "returns", "Returns", "Within **30** days.")
    client = client_for(restricted_agent)
    page = client.get(f"/helpcenter/{translation.article_id}/en/")
    assert page.status_code == 200
    content = page.content.decode()
    assert "<strong>30</strong>" in content  # the article, rendered
    assert 'value="publish"' not in content and "Delete article" not in content
    refused = [
        client.post(f"/helpcenter/{translation.article_id}/en/", {"title": "Hacked"}),
        client.post(f"/helpcenter/{translation.article_id}/en/", {"action": "unpublish"}),
        client.post(f"/helpcenter/{translation.article_id}/delete", {"confirm": "yes"}),
        client.get("/helpcenter/new"),
        client.post("/helpcenter/new", {"store": shop.pk, "title": "New", "locale": "en"}),
        client.get("/helpcenter/categories/"),
        client.post(
            "/helpcenter/categories/", {"store": shop.pk, "action": "add", "name_en": "Hacked"}
        ),
    ]
    assert [r.status_code for r in refused] == [403] * len(refused)
    translation.refresh_from_db()
    assert (translation.title, translation.is_published, translation.has_draft) == (
        "Returns",
        True,
        False,
    )
    assert Article.objects.filter(store=shop).count() == 1
    assert not Category.objects.filter(store=shop).exists()
    # The workspace does not offer what they may not do.
    listing = client.get("/helpcenter/").content.decode()
    assert "/helpcenter/new" not in listing and "/helpcenter/categories/" not in listing


# --- Editor -------------------------------------------------------------------------------


def test_a_draft_stays_out_of_public_search_until_published(shop, agent):
    client = client_for(agent)
    with committed_events():
        created = client.post(
            "/helpcenter/new",
            {
                "store": shop.pk,
                "locale": "en",
                "title": "Gift wrapping",
                "body": "We wrap gifts in recycled paper for 3 EUR.",
                "slug": "",
                "visibility": "public",
                "action": "save",
            },
        )
    translation = ArticleTranslation.objects.get(store=shop, locale="en")
    assert created.status_code == 302
    assert created["Location"] == f"/helpcenter/{translation.article_id}/en/"
    assert not translation.is_published and translation.has_draft
    assert translation.draft_title == "Gift wrapping" and translation.slug == "gift-wrapping"
    assert search_articles(shop, "gift wrapping paper") == []

    editor = client.get(created["Location"]).content.decode()
    assert 'value="Gift wrapping"' in editor and "recycled paper" in editor
    with committed_events():
        published = client.post(
            created["Location"],
            {
                "title": "Gift wrapping",
                "body": "We wrap gifts in recycled paper for 3 EUR.",
                "slug": "gift-wrapping",
                "visibility": "public",
                "action": "publish",
            },
        )
    assert published.status_code == 302
    translation.refresh_from_db()
    assert translation.is_published and not translation.has_draft
    assert ArticleRevision.objects.filter(translation=translation).count() == 1  # no copy
    hits = search_articles(shop, "gift wrapping paper")
    assert [hit.article.pk for hit in hits] == [translation.article_id]

    # An edit saved as a draft leaves the published text alone; publishing replaces it.
    with committed_events():
        client.post(
            created["Location"],
            {
                "title": "Gift wrapping",
                "body": "Now with ribbons.",
                "visibility": "public",
                "action": "save",
            },
        )
    translation.refresh_from_db()
    assert translation.body.startswith("We wrap") and translation.draft_body == "Now with ribbons."
    page = client.get("/helpcenter/?status=changes")
    assert article_ids(page) == [translation.article_id]

    with committed_events():
        client.post(created["Location"], {"action": "unpublish"})
    translation.refresh_from_db()
    assert not translation.is_published
    assert search_articles(shop, "gift wrapping paper") == []


def test_an_empty_title_is_shown_next_to_the_title_field(shop, agent):
    client = client_for(agent)
    response = client.post(
        "/helpcenter/new",
        {"store": shop.pk, "locale": "en", "title": "   ", "body": "Text", "visibility": "public"},
    )
    assert response.status_code == 422
    assert field_errors(response, "title") == ["The article needs a title."]
    assert not Article.objects.exists()
    assert "Text</textarea>" in response.content.decode()  # what was typed is kept

    translation = publish(shop, "returns", "Returns")
    edited = client.post(
        f"/helpcenter/{translation.article_id}/en/",
        {"title": "", "body": "x", "visibility": "public", "action": "publish"},
    )
    assert edited.status_code == 422
    assert field_errors(edited, "title") == ["The article needs a title."]
    translation.refresh_from_db()
    assert translation.title == "Returns" and not translation.has_draft


def test_the_editor_offers_the_missing_translations(shop, agent):
    translation = publish(shop, "returns", "Returns", "Within 30 days.")
    client = client_for(agent)
    editor = client.get(f"/helpcenter/{translation.article_id}/en/").content.decode()
    assert f'href="/helpcenter/{translation.article_id}/hr/"' in editor
    assert client.get(f"/helpcenter/{translation.article_id}/hr/").status_code == 200
    assert client.get(f"/helpcenter/{translation.article_id}/de/").status_code == 404
    assert client.get("/helpcenter/999999/en/").status_code == 404
    with committed_events():
        saved = client.post(
            f"/helpcenter/{translation.article_id}/hr/",
            {
                "title": "Povrat",
                "body": "U roku od 30 dana.",
                "visibility": "public",
                "action": "publish",
            },
        )
    assert saved.status_code == 302
    croatian = ArticleTranslation.objects.get(article_id=translation.article_id, locale="hr")
    assert croatian.is_published and croatian.title == "Povrat" and croatian.slug == "povrat"
    assert [hit.translation.locale for hit in search_articles(shop, "povrat", locale="hr")] == [
        "hr"
    ]


def test_category_and_visibility_are_saved_with_the_article(shop, agent):
    category = services.category_save(store=shop, slug="payments", names={"en": "Payments"})
    translation = draft(shop, "cards", "Cards")
    response = client_for(agent).post(
        f"/helpcenter/{translation.article_id}/en/",
        {
            "title": "Cards",
            "body": "",
            "category": category.pk,
            "visibility": "internal",
            "action": "save",
        },
    )
    assert response.status_code == 302
    article = Article.objects.get(pk=translation.article_id)
    assert (article.category_id, article.visibility) == (category.pk, Visibility.INTERNAL)


def test_another_stores_category_cannot_be_chosen(shop, other_store, agent):
    foreign = services.category_save(store=other_store, slug="foreign", names={"en": "Foreign"})
    translation = draft(shop, "cards", "Cards")
    client = client_for(agent)
    assert "Foreign" not in client.get(f"/helpcenter/{translation.article_id}/en/").content.decode()
    response = client.post(
        f"/helpcenter/{translation.article_id}/en/",
        {"title": "Cards", "category": foreign.pk, "visibility": "public", "action": "save"},
    )
    assert response.status_code == 422
    assert field_errors(response, "category")
    assert Article.objects.get(pk=translation.article_id).category_id is None


def test_the_editor_shows_history_feedback_and_recent_views(shop, agent):
    translation = publish(shop, "returns", "Returns", "Within 30 days.", actor=agent)
    draft(shop, "returns", "Returns and refunds", "Within 30 days.", article=translation.article)
    article = translation.article
    services.feedback_record(
        article=article, locale="en", helpful=False, reader="r1", comment="Old <b>comment</b>"
    )
    services.feedback_record(article=article, locale="en", helpful=True, reader="r2")
    newest = services.feedback_record(
        article=article, locale="hr", helpful=False, reader="r3", comment="<script>x</script>new"
    )
    ArticleFeedback.objects.filter(pk=newest.pk).update(
        created_at=timezone.now() + timedelta(minutes=1)
    )
    today = timezone.localdate()
    ArticleViewDay.objects.create(article=article, locale="en", day=today, count=5)
    ArticleViewDay.objects.create(
        article=article, locale="hr", day=today - timedelta(days=3), count=2
    )
    long_ago = today - timedelta(days=45)
    ArticleViewDay.objects.create(article=article, locale="en", day=long_ago, count=99)
    page = client_for(agent).get(f"/helpcenter/{article.pk}/en/").content.decode()
    assert 'value="Returns and refunds"' in page  # the draft is what is edited
    history = re.search(r'<table class="table revisions">.*?</table>', page, re.DOTALL).group(0)
    assert history.count("<tr>") == 3  # header + two versions
    assert history.index("Returns and refunds") < history.index("Returns<")
    assert "ana" in history
    assert "Helpful: 1 yes, 2 no" in page and "(33 %)" in page
    assert "&lt;script&gt;x&lt;/script&gt;new" in page and "<script>x" not in page
    assert "Old &lt;b&gt;comment&lt;/b&gt;" in page
    assert page.index("&lt;script&gt;x") < page.index("Old &lt;b&gt;")  # newest first
    views = re.search(r'<table class="table views">.*?</table>', page, re.DOTALL).group(0)
    assert re.findall(r"<td>(\w+)</td><td class=\"num\">(\d+)</td>", views) == [
        ("en", "5"),
        ("hr", "2"),
    ]


def test_delete_needs_the_confirmation(shop, agent):
    translation = publish(shop, "returns", "Returns")
    client = client_for(agent)
    path = f"/helpcenter/{translation.article_id}/delete"
    assert client.get(path).status_code == 405
    kept = client.post(path, {"locale": "en"})
    assert kept.status_code == 302 and Article.objects.filter(pk=translation.article_id).exists()
    with committed_events():
        gone = client.post(path, {"confirm": "yes", "locale": "en"})
    assert gone.status_code == 302 and gone["Location"] == "/helpcenter/"
    assert not Article.objects.filter(pk=translation.article_id).exists()
    assert search_articles(shop, "returns") == []


def test_every_post_needs_the_csrf_token(shop, agent):
    translation = publish(shop, "returns", "Returns")
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(agent)
    for path, data in (
        ("/helpcenter/preview", {"body": "x"}),
        ("/helpcenter/new", {"store": shop.pk, "title": "x", "locale": "en"}),
        (f"/helpcenter/{translation.article_id}/en/", {"action": "unpublish"}),
        (f"/helpcenter/{translation.article_id}/delete", {"confirm": "yes"}),
        ("/helpcenter/categories/", {"store": shop.pk, "action": "add", "name_en": "x"}),
    ):
        assert strict.post(path, data).status_code == 403, path
    translation.refresh_from_db()
    assert translation.is_published and Article.objects.count() == 1


# --- Live preview -------------------------------------------------------------------------


def test_the_preview_is_sanitised_markdown(agent):
    client = client_for(agent)
    body = (
        "# Title\n\n<script>alert(1)</script>\n\n<img src=x onerror=alert(1)>\n\n"
        "[click](javascript:alert(1)) ![x](https://img.example/a.png)\n\n"
        '<a href="#" onclick="steal()">raw</a>'
    )
    response = client.post("/helpcenter/preview", {"body": body})
    assert response.status_code == 200
    html = response.content.decode()
    assert "<h1>Title</h1>" in html
    assert "<script" not in html.lower()
    assert not re.search(r"<[a-z][^>]*\son\w+\s*=", html, re.IGNORECASE)  # no handlers
    assert "javascript:" not in re.sub(r">[^<]*<", "><", html)  # in no attribute
    assert "&lt;script&gt;" in html  # raw HTML is shown as text
    assert client.get("/helpcenter/preview").status_code == 405
    assert Client().post("/helpcenter/preview", {"body": "x"}).status_code == 302


def test_the_editor_textarea_previews_as_it_is_typed(shop, agent):
    page = client_for(agent).get(f"/helpcenter/new?store={shop.pk}").content.decode()
    textarea = re.search(r"<textarea[^>]*>", page).group(0)
    assert 'hx-post="/helpcenter/preview"' in textarea
    assert 'hx-trigger="input changed delay:400ms"' in textarea
    assert 'hx-target="#article-preview"' in textarea
    assert 'id="article-preview"' in page


# --- Categories ---------------------------------------------------------------------------


def test_categories_are_added_renamed_and_reordered(shop, agent):
    client = client_for(agent)
    path = "/helpcenter/categories/"
    for name in ("Shipping", "Payments", "Returns"):
        response = client.post(path, {"store": shop.pk, "action": "add", "name_en": name})
        assert response.status_code == 302
    assert list(Category.objects.filter(store=shop).values_list("slug", flat=True)) == [
        "payments",
        "returns",
        "shipping",
    ]  # all at position 0 so far: by slug
    duplicate = client.post(path, {"store": shop.pk, "action": "add", "name_en": "Shipping"})
    assert duplicate.status_code == 422
    assert "A category with this address exists already." in duplicate.content.decode()
    nothing = client.post(path, {"store": shop.pk, "action": "add", "name_hr": "运费"})
    assert nothing.status_code == 422

    renamed = client.post(
        path, {"store": shop.pk, "slug": "shipping", "name_en": "Delivery", "name_hr": "Dostava"}
    )
    assert renamed.status_code == 302
    assert Category.objects.get(store=shop, slug="shipping").names == {
        "en": "Delivery",
        "hr": "Dostava",
    }
    client.post(path, {"store": shop.pk, "slug": "shipping", "action": "move", "direction": "up"})
    order = list(Category.objects.filter(store=shop).values_list("slug", "position"))
    assert order == [("payments", 10), ("shipping", 20), ("returns", 30)]
    client.post(path, {"store": shop.pk, "slug": "payments", "action": "move", "direction": "down"})
    assert list(Category.objects.filter(store=shop).values_list("slug", flat=True)) == [
        "shipping",
        "payments",
        "returns",
    ]
    page = client.get(f"{path}?store={shop.pk}").content.decode()
    assert 'name="name_hr" value="Dostava"' in page
    # The categories are what the editor offers.
    translation = draft(shop, "a", "A")
    editor = client.get(f"/helpcenter/{translation.article_id}/en/").content.decode()
    assert ">Delivery</option>" in editor


def test_categories_and_new_articles_of_an_unknown_store_are_404(shop, other_store):
    vendor = AgentFactory(role=Role.AGENT)
    client = client_for(vendor)
    assert client.get(f"/helpcenter/categories/?store={other_store.pk}").status_code == 200
    # An unrestricted agent sees every store; an unknown one is 404.
    assert client.get("/helpcenter/categories/?store=999999").status_code == 404
    assert client.get("/helpcenter/new?store=999999").status_code == 404


# --- Content gaps -------------------------------------------------------------------------


def record_search(store, query, *, hits=(), clicked=None, days_ago=0, locale="en"):
    search_id = services.search_record(
        store=store,
        source="helpcenter",
        locale=locale,
        query=query,
        hits=[SimpleNamespace(article=article) for article in hits],
    )
    if clicked is not None:
        services.search_click(store=store, search_id=search_id, article_id=clicked.pk)
    if days_ago:
        HelpSearch.objects.filter(pk=search_id).update(
            created_at=timezone.now() - timedelta(days=days_ago)
        )


def test_content_gaps_show_unanswered_searches_and_hide_clicked_ones(
    shop, other_store, supervisor, agent
):
    article = publish(shop, "returns", "Returns").article
    record_search(shop, "gift card balance")
    record_search(shop, "Gift card balance?")
    record_search(shop, "return label", hits=[article])  # shown, not opened
    record_search(shop, "returns", hits=[article], clicked=article)  # answered
    record_search(shop, "loyalty points", days_ago=45)
    record_search(other_store, "warranty kettle")
    record_search(shop, "dostava vikendom", locale="hr")
    client = client_for(supervisor)
    response = client.get("/helpcenter/gaps/")
    assert response.status_code == 200
    page = response.content.decode()
    rows = re.findall(r"<tr>\s*<td><span class=\"gap-query\"[^>]*>(.*?)</span>", page)
    assert rows[0].lower().rstrip("?") == "gift card balance"  # the most searched first
    assert {row.lower().rstrip("?") for row in rows} == {
        "gift card balance",
        "return label",
        "warranty kettle",
        "dostava vikendom",
    }
    first = re.search(r"<tr>\s*<td><span class=\"gap-query\".*?</tr>", page, re.DOTALL).group(0)
    assert re.findall(r'<td class="num">(\d+)</td>', first) == ["2", "2", "0"]
    label = re.search(r"return label.*?</tr>", page, re.DOTALL).group(0)
    assert re.findall(r'<td class="num">(\d+)</td>', label) == ["1", "0", "1"]
    assert ">returns<" not in page.lower()
    # The period selector.
    assert "loyalty points" not in page
    assert "loyalty points" in client.get("/helpcenter/gaps/?days=90").content.decode()
    assert "loyalty points" not in client.get("/helpcenter/gaps/?days=7").content.decode()
    only_other = client.get(f"/helpcenter/gaps/?store={other_store.pk}").content.decode()
    assert "warranty kettle" in only_other and "gift card" not in only_other
    # "Write an article" opens the editor with the query as title.
    link = re.search(r'href="(/helpcenter/new\?[^"]*warranty[^"]*)"', page).group(1)
    editor = client.get(link.replace("&amp;", "&")).content.decode()
    assert 'value="warranty kettle"' in editor
    assert f'name="store" value="{other_store.pk}"' in editor
    link = re.search(r'href="(/helpcenter/new\?[^"]*vikendom[^"]*)"', page).group(1)
    editor = client.get(link.replace("&amp;", "&")).content.decode()
    assert 'value="dostava vikendom"' in editor
    assert '<option value="hr" selected>' in editor
    # Administrators too; agents not.
    assert client_for(AgentFactory(role=Role.ADMIN)).get("/helpcenter/gaps/").status_code == 200
    assert client_for(agent).get("/helpcenter/gaps/").status_code == 403


# --- The composer's article picker --------------------------------------------------------


@pytest.fixture
def picker_world(shop, other_store, api_inbox):
    public = publish(shop, "track", "Track your order", "We email a tracking number.")
    croatian = publish(shop, "track", "Praćenje narudžbe", "Broj za praćenje.", locale="hr")
    internal = publish(
        shop,
        "track-internal",
        "Track order override",
        "Agents may re-send tracking.",
        visibility=Visibility.INTERNAL,
    )
    unpublished = draft(shop, "track-draft", "Track order secrets", "Draft about tracking.")
    elsewhere = publish(other_store, "track", "Track your order", "Other store tracking.")
    conversation = conversation_services.message_receive(
        inbox=api_inbox, inbound=inbound("Where is my parcel?")
    ).conversation
    return SimpleNamespace(
        public=public,
        croatian=croatian,
        internal=internal,
        unpublished=unpublished,
        elsewhere=elsewhere,
        conversation=conversation,
    )


def picks(response) -> list[tuple[str, str]]:
    return re.findall(
        r'class="pick" data-url="([^"]*)" data-title="([^"]*)"', response.content.decode()
    )


def test_the_picker_offers_only_public_published_articles_of_the_conversations_store(
    signed_in, picker_world, shop
):
    conversation = picker_world.conversation
    response = signed_in.get(f"/c/{conversation.pk}/articles?q=track+order")
    assert response.status_code == 200
    assert picks(response) == [
        (f"http://testserver/help/{shop.slug}/en/a/track-your-order/", "Track your order")
    ]
    # The link opens the article for a reader without an account.
    reader = Client().get(f"/help/{shop.slug}/en/a/track-your-order/")
    assert reader.status_code == 200 and "We email a tracking number." in reader.content.decode()
    # Without a query: the public articles in the conversation's language.
    assert picks(signed_in.get(f"/c/{conversation.pk}/articles")) == [
        (f"http://testserver/help/{shop.slug}/en/a/track-your-order/", "Track your order")
    ]
    # A Croatian conversation gets the Croatian translation's address.
    Conversation.objects.filter(pk=conversation.pk).update(language="hr-HR")
    croatian = picks(signed_in.get(f"/c/{conversation.pk}/articles?q=praćenje"))
    assert croatian == [
        (
            f"http://testserver/help/{shop.slug}/hr/a/{picker_world.croatian.slug}/",
            "Praćenje narudžbe",
        )
    ]
    assert signed_in.get("/c/999999/articles?q=track").status_code == 404


def test_the_composer_has_the_article_button_and_picker(signed_in, picker_world):
    conversation = picker_world.conversation
    page = signed_in.get(f"/c/{conversation.pk}/").content.decode()
    assert 'data-action="article-picker"' in page
    assert f'hx-get="/c/{conversation.pk}/articles"' in page
    assert '<dialog id="article-picker"' in page
    # The picker lives outside the reply form: its search box is not sent with the reply.
    composer = re.search(r'<form class="composer".*?</form>', page, re.DOTALL).group(0)
    assert "article-picker-q" not in composer


# --- In a real browser --------------------------------------------------------------------


@pytest.fixture
def live_desk(transactional_db):
    store = StoreFactory(name="Jadran", slug="jadran", supported_locales=["en", "hr"])
    agent = AgentFactory(username="ana", display_name="Ana Kovač")
    services.category_save(store=store, slug="shipping", names={"en": "Shipping"})
    translation = services.article_save(
        store=store,
        key="track",
        locale="en",
        title="Track your order",
        body="We email you a tracking number.",
        publish=True,
    )
    conversation = conversation_services.message_receive(
        inbox=make_inbox(store, "api", "Shop app"), inbound=inbound("Where is my parcel?")
    ).conversation
    return SimpleNamespace(
        store=store, agent=agent, translation=translation, conversation=conversation
    )


def browser_sign_in(page, base):
    page.goto(f"{base}/login/")
    page.fill("input[name=username]", "ana")
    page.fill("input[name=password]", "pw-for-tests")
    page.click("button[type=submit]")
    expect(page.locator("#live-status")).to_have_attribute("data-state", "open")


@pytest.mark.django_db(transaction=True)
def test_the_picker_puts_the_link_at_the_cursor_by_keyboard(asgi_live_server, page, live_desk):
    base = asgi_live_server
    browser_sign_in(page, base)
    page.goto(f"{base}/c/{live_desk.conversation.pk}/")
    page.fill("#composer-text", "Hello! Thanks.")
    page.evaluate("document.getElementById('composer-text').setSelectionRange(6, 6)")
    page.click("[data-action=article-picker]")
    expect(page.locator("#article-picker")).to_be_visible()
    expect(page.locator("#article-picker-q")).to_be_focused()
    expect(page.locator("#article-picker-results .pick")).to_have_count(1)  # most read
    page.keyboard.type("tracking number")
    expect(page.locator("#article-picker-results .pick").first).to_contain_text("Track your order")
    page.keyboard.press("ArrowDown")
    expect(page.locator("#article-picker-results .pick").first).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#article-picker")).to_be_hidden()
    url = f"{base}/help/jadran/en/a/track-your-order/"
    expect(page.locator("#composer-text")).to_have_value(f"Hello! Track your order: {url} Thanks.")
    expect(page.locator("#composer-text")).to_be_focused()


@pytest.mark.django_db(transaction=True)
def test_the_preview_follows_the_typing(asgi_live_server, page, live_desk):
    base = asgi_live_server
    browser_sign_in(page, base)
    page.goto(f"{base}/helpcenter/{live_desk.translation.article_id}/en/")
    preview = page.locator("#article-preview")
    expect(preview).to_contain_text("We email you a tracking number.")
    page.fill("#id_body", "## Parcels\n\n**Fast** <img src=x onerror=alert(1)>")
    expect(preview.locator("h2")).to_have_text("Parcels")
    expect(preview.locator("strong")).to_have_text("Fast")
    assert preview.locator("img").count() == 0
    page.click("button[value=save]")
    expect(page.locator(".toast")).to_contain_text("Draft saved.")


@pytest.mark.django_db(transaction=True)
def test_help_center_pages_fit_a_phone(asgi_live_server, chromium, live_desk):
    from storedesk.helpcenter.services import search_record

    search_record(
        store=live_desk.store,
        source="helpcenter",
        locale="en",
        query="a rather long question about international shipping to faraway islands",
        hits=[],
    )
    live_desk.agent.role = Role.SUPERVISOR
    live_desk.agent.save()
    base = asgi_live_server
    context = chromium.new_context(viewport={"width": 360, "height": 740})
    page = context.new_page()
    try:
        browser_sign_in(page, base)
        article = live_desk.translation.article_id
        for path in (
            "/helpcenter/",
            f"/helpcenter/{article}/en/",
            f"/helpcenter/{article}/hr/",
            f"/helpcenter/new?store={live_desk.store.pk}",
            "/helpcenter/categories/",
            "/helpcenter/gaps/",
            f"/c/{live_desk.conversation.pk}/",
        ):
            page.goto(base + path)
            overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            assert overflow <= 0, (path, overflow)
        # On a phone the preview is under the textarea, not beside it.
        page.goto(f"{base}/helpcenter/{article}/en/")
        textarea = page.locator("#id_body").bounding_box()
        preview = page.locator("#article-preview").bounding_box()
        assert preview["y"] > textarea["y"] + textarea["height"]
    finally:
        context.close()
