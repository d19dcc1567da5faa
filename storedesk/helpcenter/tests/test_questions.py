"""Questions an article answers: written by agents, learned from readers' clicks (several
different readers, never one), rejected for good, indexed as question passages and words,
and what they change in search."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest
from django.test import Client

from storedesk.accounts.models import AuditLog
from storedesk.core.errors import ValidationError
from storedesk.core.testing import AgentFactory, committed_events
from storedesk.helpcenter import questions
from storedesk.helpcenter.events import ArticleChanged
from storedesk.helpcenter.models import (
    Article,
    ArticleQuestion,
    HelpSearch,
    QuestionSource,
    SearchSource,
)
from storedesk.helpcenter.questions import question_add, question_remove
from storedesk.helpcenter.search import search_articles
from storedesk.helpcenter.services import article_save, search_click, search_record
from storedesk.search.models import DocumentKind, PassageRole, SearchDocument, SearchPassage


def publish(store, key, locale, title, body):
    """A published translation, not indexed (no committed transaction)."""
    return article_save(
        store=store, key=key, locale=locale, title=title, body=body, publish=True
    ).article


@pytest.fixture
def shop(help_store):
    """Two articles, not indexed: enough for the services that write questions."""
    return SimpleNamespace(
        store=help_store,
        track=publish(
            help_store,
            "track-order",
            "en",
            "Track your order",
            "We email you a tracking number when the parcel leaves our warehouse.",
        ),
        returns=publish(
            help_store,
            "return-policy",
            "en",
            "Returns within 30 days",
            "You can return most items within 30 days of delivery for a full refund.",
        ),
    )


@pytest.fixture
def indexed(help_store):
    """Track-order in English and Croatian and an English-only warranty article, indexed
    with the real embedder."""
    with committed_events():
        track = publish(
            help_store,
            "track-order",
            "en",
            "Track your order",
            "We email you a tracking number when the parcel leaves our warehouse. "
            "Open the link to follow your delivery with GLS or DHL.",
        )
        article_save(
            store=help_store,
            key="track-order",
            locale="hr",
            title="Praćenje narudžbe",
            body="Kad paket napusti skladište, šaljemo vam broj za praćenje.",
            publish=True,
            article=track,
        )
        warranty = publish(
            help_store,
            "warranty",
            "en",
            "Warranty claims for electronics",
            "Every electronic product has a two-year warranty under EU law.",
        )
    return SimpleNamespace(store=help_store, track=track, warranty=warranty)


def asked(store, query, *shown, reader="reader-1", locale="en") -> int:
    """A reader's search that showed ``shown``; returns its id."""
    return search_record(
        store=store,
        source=SearchSource.HELP_CENTER,
        locale=locale,
        query=query,
        hits=[SimpleNamespace(article=article) for article in shown],
        reader=reader,
    )


def ask_and_open(store, query, article, *, reader, also_shown=()) -> int:
    """A reader searches ``query`` and opens ``article`` from the results."""
    search_id = asked(store, query, article, *also_shown, reader=reader)
    assert search_click(store=store, search_id=search_id, article_id=article.pk)
    return search_id


def question_passages(article) -> list[tuple[str, str]]:
    """(document locale, text) of the article's indexed question passages."""
    return sorted(
        SearchPassage.objects.filter(
            document__kind=DocumentKind.ARTICLE,
            document__parent_id=article.pk,
            role=PassageRole.QUESTION,
        ).values_list("document__locale", "text")
    )


def keys(hits) -> list[str]:
    return [hit.article.key for hit in hits]


# --- Agents' questions ----------------------------------------------------------------------


def test_an_agents_question_is_used_at_once(shop):
    agent = AgentFactory()
    question = question_add(
        article=shop.track, locale="en", text="  Where is   my parcel? ", actor=agent
    )
    question.refresh_from_db()
    assert (question.text, question.locale, question.source) == (
        "Where is my parcel?",
        "en",
        QuestionSource.AGENT,
    )
    assert question.active and not question.rejected
    assert question.store_id == shop.store.pk and question.created_by == agent
    assert question.normalized == questions.normalized_question("where is my parcel", "en")
    assert question.normalized == "my parcel where"
    assert AuditLog.objects.filter(
        action="article.question_added", target_id=str(shop.track.pk), actor=agent
    ).exists()


@pytest.mark.parametrize(
    ("text", "locale", "field"),
    [
        ("", "en", "text"),
        (" \n\t ", "en", "text"),
        ("x" * (questions.MAX_QUESTION_CHARS + 1), "en", "text"),
        ("Wo ist mein Paket?", "de", "locale"),  # not one of the store's languages
        ("Where is my parcel?", "", "locale"),
    ],
)
def test_invalid_questions_name_the_field_and_store_nothing(shop, text, locale, field):
    with committed_events() as events, pytest.raises(ValidationError) as error:
        question_add(article=shop.track, locale=locale, text=text)
    assert error.value.field == field
    assert not ArticleQuestion.objects.exists()
    assert events == []


def test_the_longest_question_allowed_is_kept_whole(shop):
    text = "parcel " * 28 + "x" * 4  # exactly MAX_QUESTION_CHARS
    assert len(text) == questions.MAX_QUESTION_CHARS
    assert question_add(article=shop.track, locale="en", text=text).text == text


def test_the_same_question_spelt_otherwise_is_not_added_twice(shop):
    first = question_add(article=shop.track, locale="en", text="Where is my parcel?")
    again = question_add(article=shop.track, locale="en", text="WHERE is my  PARCEL")
    assert again.pk == first.pk
    assert ArticleQuestion.objects.get().text == "WHERE is my PARCEL"  # the latest wording
    # Another article may answer the same question.
    other = question_add(article=shop.returns, locale="en", text="where is my parcel")
    assert other.pk != first.pk and ArticleQuestion.objects.count() == 2


@pytest.mark.parametrize("rejected", [False, True])
def test_writing_a_learned_or_rejected_question_makes_it_the_agents(shop, rejected):
    for reader in ("reader-1", "reader-2"):
        ask_and_open(shop.store, "Where is my parcel?", shop.track, reader=reader)
    learned = ArticleQuestion.objects.get()
    assert learned.source == QuestionSource.READERS and learned.active
    if rejected:
        question_remove(question=learned)
        assert not ArticleQuestion.objects.get().active
    agent = AgentFactory()
    question = question_add(article=shop.track, locale="en", text="where is my parcel", actor=agent)
    assert question.pk == learned.pk and ArticleQuestion.objects.count() == 1
    question.refresh_from_db()
    assert question.source == QuestionSource.AGENT
    assert question.active and not question.rejected
    assert question.text == "where is my parcel" and question.created_by == agent


# --- Removing -------------------------------------------------------------------------------


def test_removing_an_agents_question_deletes_it(shop):
    question = question_add(article=shop.track, locale="en", text="Where is my parcel?")
    with committed_events() as events:
        question_remove(question=question)
    assert not ArticleQuestion.objects.exists()
    assert events == [ArticleChanged(article_id=shop.track.pk, store_id=shop.store.pk)]
    assert AuditLog.objects.filter(action="article.question_removed").count() == 1


def test_a_rejected_learned_question_is_kept_and_never_learned_again(shop):
    for reader in ("reader-1", "reader-2"):
        ask_and_open(shop.store, "Where is my parcel?", shop.track, reader=reader)
    learned = ArticleQuestion.objects.get()
    assert learned.active
    with committed_events() as events:
        question_remove(question=learned)
    assert events == [ArticleChanged(article_id=shop.track.pk, store_id=shop.store.pk)]
    learned.refresh_from_db()
    assert learned.rejected and not learned.active
    # More readers asking the same and opening the article do not bring it back.
    with committed_events() as events:
        for reader in ("reader-3", "reader-4", "reader-5"):
            ask_and_open(shop.store, "where is my parcel", shop.track, reader=reader)
    learned.refresh_from_db()
    assert learned.rejected and not learned.active
    assert learned.readers == 5
    assert ArticleQuestion.objects.count() == 1
    assert events == []


def test_rejecting_a_question_search_did_not_use_changes_nothing_in_search(shop):
    ask_and_open(shop.store, "Where is my parcel?", shop.track, reader="reader-1")
    pending = ArticleQuestion.objects.get()
    assert not pending.active
    with committed_events() as events:
        question_remove(question=pending)
    assert events == []
    pending.refresh_from_db()
    assert pending.rejected


# --- Learning from readers ------------------------------------------------------------------


def test_one_reader_clicking_twice_teaches_nothing(shop):
    with committed_events() as events:
        for _ in range(2):
            ask_and_open(shop.store, "Where is my parcel?", shop.track, reader="reader-1")
    question = ArticleQuestion.objects.get()
    assert question.source == QuestionSource.READERS
    assert question.readers == 1 and not question.active
    assert events == []


def test_two_readers_asking_the_same_teach_the_article(shop):
    with committed_events() as events:
        ask_and_open(shop.store, "Where is my parcel?", shop.track, reader="reader-1")
    assert events == []  # the first reader: counted, not used
    question = ArticleQuestion.objects.get()
    assert (question.readers, question.active, question.text) == (1, False, "Where is my parcel?")
    with committed_events() as events:
        ask_and_open(shop.store, "where is my parcel", shop.track, reader="reader-2")
    assert events == [ArticleChanged(article_id=shop.track.pk, store_id=shop.store.pk)]
    question = ArticleQuestion.objects.get()
    assert question.active and not question.rejected
    assert question.readers == 2
    assert question.source == QuestionSource.READERS and question.created_by is None
    assert (question.article_id, question.store_id, question.locale) == (
        shop.track.pk,
        shop.store.pk,
        "en",
    )
    assert question.text == "Where is my parcel?"  # the first reader's words
    # A third reader counts, and changes nothing search uses.
    with committed_events() as events:
        ask_and_open(shop.store, "where is my parcel?", shop.track, reader="reader-3")
    assert events == []
    assert ArticleQuestion.objects.get().readers == 3


def test_readers_who_opened_another_article_do_not_count(shop):
    ask_and_open(shop.store, "Where is my parcel?", shop.track, reader="reader-1")
    ask_and_open(shop.store, "Where is my parcel?", shop.returns, reader="reader-2")
    assert sorted(ArticleQuestion.objects.values_list("article_id", "readers", "active")) == sorted(
        [(shop.track.pk, 1, False), (shop.returns.pk, 1, False)]
    )


def test_a_search_without_a_reader_teaches_nothing(shop):
    for _ in range(3):
        ask_and_open(shop.store, "Where is my parcel?", shop.track, reader="")
    assert not ArticleQuestion.objects.exists()
    # ... and does not count towards anyone else's.
    ask_and_open(shop.store, "Where is my parcel?", shop.track, reader="reader-1")
    question = ArticleQuestion.objects.get()
    assert question.readers == 1 and not question.active


def test_a_long_search_teaches_nothing(shop):
    too_long = "where is my parcel " + "please " * 20
    too_long = too_long[: questions.LEARN_MAX_CHARS + 1]
    assert len(too_long.strip()) > questions.LEARN_MAX_CHARS
    for reader in ("reader-1", "reader-2"):
        ask_and_open(shop.store, too_long, shop.track, reader=reader)
    assert not ArticleQuestion.objects.exists()
    longest = ("where is my parcel " + "please " * 20)[: questions.LEARN_MAX_CHARS]
    for reader in ("reader-1", "reader-2"):
        ask_and_open(shop.store, longest, shop.track, reader=reader)
    assert ArticleQuestion.objects.get().active


def test_a_click_on_an_article_the_search_did_not_show_records_nothing(shop):
    for reader in ("reader-1", "reader-2"):
        search_id = asked(shop.store, "Where is my parcel?", shop.returns, reader=reader)
        assert not search_click(store=shop.store, search_id=search_id, article_id=shop.track.pk)
        assert HelpSearch.objects.get(pk=search_id).clicked_id is None
    assert not ArticleQuestion.objects.exists()


def test_a_second_click_of_the_same_search_does_not_count_again(shop):
    search_id = ask_and_open(shop.store, "Where is my parcel?", shop.track, reader="reader-1")
    with committed_events() as events:
        assert not search_click(store=shop.store, search_id=search_id, article_id=shop.track.pk)
    question = ArticleQuestion.objects.get()
    assert question.readers == 1 and not question.active
    assert events == []


def test_a_second_click_on_another_article_does_not_teach_that_article(shop):
    # reader-1 opens track first, then returns from the same results: the first click is
    # what the search answered.
    search_id = ask_and_open(
        shop.store, "Where is my parcel?", shop.track, reader="reader-1", also_shown=[shop.returns]
    )
    assert not search_click(store=shop.store, search_id=search_id, article_id=shop.returns.pk)
    assert HelpSearch.objects.get(pk=search_id).clicked_id == shop.track.pk
    assert not ArticleQuestion.objects.filter(article=shop.returns).exists()
    # reader-2 opens returns first: one reader whose first click was returns.
    ask_and_open(shop.store, "where is my parcel", shop.returns, reader="reader-2")
    question = ArticleQuestion.objects.get(article=shop.returns)
    assert question.readers == 1 and not question.active


def test_learned_questions_per_article_are_capped(shop, monkeypatch):
    monkeypatch.setattr(questions, "MAX_LEARNED_PER_ARTICLE", 1)
    # Agents' questions do not count towards the cap.
    question_add(article=shop.track, locale="en", text="How do I follow my delivery?")
    for reader in ("reader-1", "reader-2"):
        ask_and_open(shop.store, "Where is my parcel?", shop.track, reader=reader)
    first = ArticleQuestion.objects.get(source=QuestionSource.READERS)
    assert first.active
    with committed_events() as events:
        for reader in ("reader-1", "reader-2", "reader-3"):
            ask_and_open(shop.store, "tracking number missing", shop.track, reader=reader)
    waiting = ArticleQuestion.objects.get(
        article=shop.track,
        normalized=questions.normalized_question("tracking number missing", "en"),
    )
    assert waiting.readers == 3 and not waiting.active and not waiting.rejected
    assert events == []
    # Another article has its own cap.
    for reader in ("reader-1", "reader-2"):
        ask_and_open(shop.store, "tracking number missing", shop.returns, reader=reader)
    assert ArticleQuestion.objects.get(article=shop.returns).active
    # Once an agent rejects the one in use, the next reader's click brings the waiting one in.
    question_remove(question=first)
    ask_and_open(shop.store, "tracking number missing", shop.track, reader="reader-4")
    waiting.refresh_from_db()
    assert waiting.active and waiting.readers == 4


def test_a_search_without_a_language_learns_the_questions_language(shop):
    for reader in ("reader-1", "reader-2"):
        search_id = asked(shop.store, "gdje je moj paket", shop.track, reader=reader, locale="")
        search_click(store=shop.store, search_id=search_id, article_id=shop.track.pk)
    question = ArticleQuestion.objects.get()
    assert question.active and question.locale == "hr"


# --- Indexing -------------------------------------------------------------------------------


def test_a_question_is_indexed_as_a_question_passage_and_removed_with_it(indexed):
    assert question_passages(indexed.track) == []
    with committed_events():
        question = question_add(article=indexed.track, locale="en", text="Where is my parcel?")
    assert question_passages(indexed.track) == [("en", "Where is my parcel?")]
    passage = SearchPassage.objects.get(role=PassageRole.QUESTION)
    assert passage.vector and passage.embedder
    # The sections are still there, as sections.
    sections = SearchPassage.objects.filter(
        document__parent_id=indexed.track.pk, role=PassageRole.SECTION
    )
    assert sections.exists()
    with committed_events():
        question_remove(question=question)
    assert question_passages(indexed.track) == []
    assert sections.exists()


def test_questions_go_with_the_translation_in_their_language(indexed):
    with committed_events():
        question_add(article=indexed.track, locale="hr", text="Gdje je moj paket?")
        question_add(article=indexed.track, locale="en", text="Which courier brings my order?")
        # No Chinese translation of the warranty article: with its English one.
        question_add(article=indexed.warranty, locale="zh-hans", text="我的水壶坏了怎么办")
    assert question_passages(indexed.track) == [
        ("en", "Which courier brings my order?"),
        ("hr", "Gdje je moj paket?"),
    ]
    assert question_passages(indexed.warranty) == [("en", "我的水壶坏了怎么办")]
    documents = {
        document.locale: document.body_terms.split()
        for document in SearchDocument.objects.filter(parent_id=indexed.track.pk)
    }
    assert "courier" in documents["en"] and "courier" not in documents["hr"]


def test_a_learned_question_is_indexed_once_enough_readers_asked(indexed):
    with committed_events():
        ask_and_open(indexed.store, "Where is my parcel?", indexed.track, reader="reader-1")
    assert question_passages(indexed.track) == []
    with committed_events():
        ask_and_open(indexed.store, "where is my parcel", indexed.track, reader="reader-2")
    assert question_passages(indexed.track) == [("en", "Where is my parcel?")]
    with committed_events():
        question_remove(question=ArticleQuestion.objects.get())
    assert question_passages(indexed.track) == []


def test_question_words_find_the_article_lexically(indexed):
    assert search_articles(indexed.store, "courier", mode="lexical") == []
    with committed_events():
        question = question_add(
            article=indexed.track, locale="en", text="Which courier brings my order?"
        )
    hits = search_articles(indexed.store, "courier", mode="lexical")
    assert keys(hits) == ["track-order"]
    with committed_events():
        question_remove(question=question)
    assert search_articles(indexed.store, "courier", mode="lexical") == []


def test_an_inactive_question_is_not_indexed(indexed):
    with committed_events():
        ask_and_open(indexed.store, "which courier", indexed.track, reader="reader-1")
        # Re-index the article for another reason: the pending question stays out.
        article_save(
            store=indexed.store,
            key="track-order",
            locale="en",
            title="Track your order",
            body="We email you a tracking number.",
            publish=True,
            article=indexed.track,
        )
    assert ArticleQuestion.objects.get().readers == 1
    assert question_passages(indexed.track) == []
    assert search_articles(indexed.store, "courier", mode="lexical") == []


# --- What questions change in search (the real embedder) ------------------------------------

QUERY = "GLS delivery price"


def test_a_question_close_to_the_query_brings_its_article_first(articles):
    before = keys(search_articles(articles, QUERY))
    # Without questions, the tracking article (it names GLS) wins over the prices.
    assert before[0] == "track-order" and "shipping-costs" in before[:3], before
    shipping = Article.objects.get(store=articles, key="shipping-costs")
    with committed_events():
        question_add(article=shipping, locale="en", text="How much does delivery with GLS cost?")
    assert keys(search_articles(articles, QUERY))[0] == "shipping-costs"
    # The semantic lift alone does it too (not only the question's words).
    assert keys(search_articles(articles, QUERY, mode="semantic"))[0] == "shipping-costs"
    # A reader asking in Croatian is helped by the English question as well.
    assert keys(search_articles(articles, "koliko košta dostava GLS", mode="semantic"))[0] == (
        "shipping-costs"
    )


# --- The public help center, end to end -----------------------------------------------------

ASKED = ["Where is my parcel?", "where is my parcel"]


def suggest_and_click(client, store, query) -> int:
    """Ask the suggestion endpoint and open the tracking article it suggests."""
    response = client.get(
        f"/help/{store.slug}/suggest", {"q": query, "locale": "en", "source": "widget"}
    )
    assert response.status_code == 200
    data = response.json()
    track = Article.objects.get(store=store, key="track-order")
    assert track.pk in [article["id"] for article in data["articles"]]
    response = client.post(
        f"/help/{store.slug}/suggest/{data['search_id']}/click",
        json.dumps({"article_id": track.pk}),
        content_type="application/json",
    )
    assert response.status_code == 204
    return data["search_id"]


def test_two_readers_clicking_a_suggestion_teach_the_article(articles):
    track = Article.objects.get(store=articles, key="track-order")
    first = Client(HTTP_USER_AGENT="Firefox/128")
    second = Client(HTTP_USER_AGENT="Safari/17")
    suggest_and_click(first, articles, ASKED[0])
    assert not ArticleQuestion.objects.filter(active=True).exists()
    with committed_events():
        suggest_and_click(second, articles, ASKED[1])
    searches = HelpSearch.objects.order_by("pk")
    assert len({search.reader for search in searches}) == 2
    assert all(len(search.reader) == 40 for search in searches)
    question = ArticleQuestion.objects.get()
    assert (question.article_id, question.source, question.readers) == (
        track.pk,
        QuestionSource.READERS,
        2,
    )
    assert question.active and question.text == "Where is my parcel?"
    assert ("en", "Where is my parcel?") in question_passages(track)


def test_one_reader_clicking_a_suggestion_twice_teaches_nothing(articles):
    reader = Client(HTTP_USER_AGENT="Firefox/128")
    with committed_events() as events:
        for query in ASKED:
            suggest_and_click(reader, articles, query)
    assert HelpSearch.objects.exclude(clicked=None).count() == 2
    assert HelpSearch.objects.values("reader").distinct().count() == 1
    question = ArticleQuestion.objects.get()
    assert question.readers == 1 and not question.active
    assert events == []


def test_readers_of_the_search_page_teach_the_article_too(articles):
    track = Article.objects.get(store=articles, key="track-order")
    for agent, query in zip(("Firefox/128", "Safari/17"), ASKED, strict=True):
        reader = Client(HTTP_USER_AGENT=agent)
        assert reader.get("/help/northwind/en/search", {"q": query}).status_code == 200
        search = HelpSearch.objects.latest("pk")
        assert track.pk in search.shown and search.reader
        response = reader.get(f"/help/northwind/r/{search.pk}/{track.pk}/?locale=en")
        assert response.status_code == 302
    question = ArticleQuestion.objects.get()
    assert question.active and question.readers == 2 and question.article_id == track.pk


def test_removing_an_agents_question_readers_asked_rejects_it_for_good(shop):
    question = question_add(article=shop.track, locale="en", text="Where is my parcel?")
    for reader in ("reader-1", "reader-2"):
        ask_and_open(shop.store, "where is my parcel", shop.track, reader=reader)
    question.refresh_from_db()
    assert question.source == QuestionSource.AGENT and question.readers == 2
    question_remove(question=question)
    question.refresh_from_db()
    assert question.rejected and not question.active
    ask_and_open(shop.store, "where is my parcel", shop.track, reader="reader-3")
    question.refresh_from_db()
    assert question.rejected and not question.active
    assert ArticleQuestion.objects.filter(article=shop.track).count() == 1


def test_question_words_are_indexed_without_embeddings(shop):
    from storedesk.search.indexing import document_index
    from storedesk.search.models import DocumentKind, SearchDocument

    document_index(
        store_id=shop.store.pk,
        kind=DocumentKind.ARTICLE,
        object_id=987654,
        locale="en",
        title="Shipping",
        body="Prices per country.",
        questions=[("en", "courier fee"), ("hr", "kurirska dostava")],
        embed=False,
    )
    terms = SearchDocument.objects.get(object_id=987654).body_terms.split()
    assert "courier" in terms and "fee" in terms
    assert not any(term.startswith("kurir") for term in terms)
