"""The questions an article answers, in the workspace editor: listed (escaped), added and
removed by editors, refused to restricted agents, scoped to the stores an agent sees."""

import re
from types import SimpleNamespace

import pytest
from django.test import Client

from storedesk.core.testing import StoreFactory, committed_events
from storedesk.helpcenter import services
from storedesk.helpcenter.events import ArticleChanged
from storedesk.helpcenter.models import ArticleQuestion, QuestionSource, SearchSource
from storedesk.helpcenter.questions import question_add
from storedesk.web.views import helpcenter as helpcenter_views

pytestmark = pytest.mark.django_db

HOSTILE = "<script>alert(1)</script> Where is my parcel?"
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt; Where is my parcel?"


def client_for(agent) -> Client:
    client = Client()
    client.force_login(agent)
    return client


def publish(store, key, title, body="Some text.", locale="en"):
    """A published article (not indexed: these pages do not search)."""
    return services.article_save(
        store=store, key=key, locale=locale, title=title, body=body, publish=True
    ).article


def questions_section(response) -> str:
    page = response.content.decode()
    section = re.search(r'<section[^>]* id="questions">.*?</section>', page, re.DOTALL)
    assert section, "no questions section"
    return section.group(0)


def listed(response) -> list[str]:
    """The questions listed on the editor page, as (escaped) HTML."""
    return re.findall(r'<li><span lang="[^"]*">(.*?)</span>', questions_section(response))


def toasts(response) -> list[str]:
    return re.findall(r'<p class="toast [^"]*">(.*?)</p>', response.content.decode(), re.DOTALL)


@pytest.fixture
def shop(store):
    store.supported_locales = ["en", "hr"]
    store.save()
    return store


@pytest.fixture
def article(shop):
    return publish(shop, "track-order", "Track your order", "We email a tracking number.")


def url(article) -> str:
    return f"/helpcenter/{article.pk}/questions"


def test_an_editor_adds_a_question_and_sees_it_escaped(article, agent):
    client = client_for(agent)
    with committed_events() as events:
        response = client.post(
            url(article), {"text": HOSTILE, "question_locale": "hr", "locale": "en"}
        )
    assert response.status_code == 302
    assert response["Location"] == f"/helpcenter/{article.pk}/en/#questions"
    question = ArticleQuestion.objects.get()
    assert (question.article_id, question.locale, question.text) == (article.pk, "hr", HOSTILE)
    assert question.source == QuestionSource.AGENT and question.active
    assert question.created_by == agent
    assert events == [ArticleChanged(article_id=article.pk, store_id=article.store_id)]

    page = client.get(response["Location"])
    assert page.status_code == 200
    assert listed(page) == [ESCAPED]
    section = questions_section(page)
    assert "<script>alert(1)" not in page.content.decode()
    assert '<span lang="hr">' in section and "written by an agent" in section
    assert f'name="remove" value="{question.pk}"' in section
    assert any("Question added" in toast for toast in toasts(page))


def test_the_question_language_defaults_to_the_editors_page(article, agent):
    response = client_for(agent).post(url(article), {"text": "Gdje je paket?", "locale": "hr"})
    assert response["Location"] == f"/helpcenter/{article.pk}/hr/#questions"
    assert ArticleQuestion.objects.get().locale == "hr"


def test_an_editor_removes_a_question(article, agent):
    question = question_add(article=article, locale="en", text="Where is my parcel?")
    client = client_for(agent)
    assert listed(client.get(f"/helpcenter/{article.pk}/en/")) == ["Where is my parcel?"]
    with committed_events() as events:
        response = client.post(url(article), {"remove": str(question.pk), "locale": "hr"})
    assert response.status_code == 302
    assert response["Location"] == f"/helpcenter/{article.pk}/hr/#questions"
    assert not ArticleQuestion.objects.exists()
    assert events == [ArticleChanged(article_id=article.pk, store_id=article.store_id)]
    page = client.get(response["Location"])
    assert listed(page) == [] and "No questions yet." in questions_section(page)
    assert any("no longer uses" in toast for toast in toasts(page))


def test_an_editor_rejects_a_learned_question(article, agent):
    for reader in ("reader-1", "reader-2"):
        search_id = services.search_record(
            store=article.store,
            source=SearchSource.HELP_CENTER,
            locale="en",
            query="my parcel never came",
            hits=[SimpleNamespace(article=article)],
            reader=reader,
        )
        services.search_click(store=article.store, search_id=search_id, article_id=article.pk)
    learned = ArticleQuestion.objects.get()
    assert learned.active
    client = client_for(agent)
    page = client.get(f"/helpcenter/{article.pk}/en/")
    assert listed(page) == ["my parcel never came"]
    section = questions_section(page)
    assert "learned from 2 readers" in section and "Reject" in section
    client.post(url(article), {"remove": str(learned.pk), "locale": "en"})
    learned.refresh_from_db()
    assert learned.rejected and not learned.active  # kept, so it is not learned again
    assert listed(client.get(f"/helpcenter/{article.pk}/en/")) == []


def test_removing_another_articles_question_changes_nothing(shop, article, agent):
    other = publish(shop, "returns", "Returns")
    question = question_add(article=other, locale="en", text="Can I send it back?")
    response = client_for(agent).post(url(article), {"remove": str(question.pk), "locale": "en"})
    assert response.status_code == 302
    question.refresh_from_db()
    assert question.active
    for junk in ("", "x", "99999999"):
        client_for(agent).post(url(article), {"remove": junk, "locale": "en"})
    assert ArticleQuestion.objects.filter(active=True).count() == 1


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"text": "   "}, "Write the question."),
        ({"text": "parcel " * 40}, "At most 200 characters"),
        ({"text": "Wo ist mein Paket?", "question_locale": "de"}, "is not one of the store"),
    ],
)
def test_an_invalid_question_shows_a_message_and_stores_nothing(article, agent, data, message):
    client = client_for(agent)
    with committed_events() as events:
        response = client.post(url(article), {"locale": "en", **data})
    assert response.status_code == 302
    assert response["Location"] == f"/helpcenter/{article.pk}/en/#questions"
    assert not ArticleQuestion.objects.exists()
    assert events == []
    page = client.get(response["Location"])
    errors = [toast for toast in toasts(page) if message in toast]
    assert errors, toasts(page)
    assert "Question added" not in page.content.decode()


def test_a_restricted_agent_sees_the_questions_but_cannot_change_them(
    article, restricted_agent, other_store
):
    question = question_add(article=article, locale="en", text="Where is my parcel?")
    foreign = publish(other_store, "foreign", "Foreign article")
    client = client_for(restricted_agent)
    page = client.get(f"/helpcenter/{article.pk}/en/")
    assert page.status_code == 200
    assert listed(page) == ["Where is my parcel?"]
    assert "<form" not in questions_section(page)  # neither the add form nor the remove buttons
    refused = [
        client.post(url(article), {"text": "Hacked?", "locale": "en"}),
        client.post(url(article), {"remove": str(question.pk), "locale": "en"}),
        client.post(url(foreign), {"text": "Hacked?", "locale": "en"}),
    ]
    assert [response.status_code for response in refused] == [403, 403, 403]
    assert list(ArticleQuestion.objects.values_list("text", "active")) == [
        ("Where is my parcel?", True)
    ]


def test_an_article_of_a_store_the_agent_cannot_see_is_404(
    shop, article, restricted_agent, monkeypatch
):
    # Restricted agents are the only ones limited to some stores, and they may not edit:
    # let them edit here to check that the view looks the article up in their stores.
    monkeypatch.setattr(helpcenter_views, "can_edit_help_center", lambda user: True)
    elsewhere = StoreFactory(name="Elsewhere", slug="elsewhere")
    foreign = publish(elsewhere, "foreign", "Foreign article")
    foreign_question = question_add(article=foreign, locale="en", text="Where is my parcel?")
    client = client_for(restricted_agent)
    assert client.post(url(foreign), {"text": "Hacked?", "locale": "en"}).status_code == 404
    response = client.post(url(foreign), {"remove": str(foreign_question.pk), "locale": "en"})
    assert response.status_code == 404
    assert list(ArticleQuestion.objects.values_list("article_id", "text", "active")) == [
        (foreign.pk, "Where is my parcel?", True)
    ]
    # Their own store's article works (the patch is what let them in).
    assert client.post(url(article), {"text": "Mine?", "locale": "en"}).status_code == 302
    assert ArticleQuestion.objects.filter(article=article, text="Mine?").exists()


def test_an_unknown_article_is_404(agent):
    assert client_for(agent).post("/helpcenter/999999/questions", {"text": "x"}).status_code == 404


def test_the_endpoint_only_takes_post(article, agent):
    client = client_for(agent)
    assert client.get(url(article)).status_code == 405
    assert client.get(url(article), {"text": "Where is my parcel?"}).status_code == 405
    assert not ArticleQuestion.objects.exists()
    assert Client().post(url(article), {"text": "x", "locale": "en"}).status_code == 302  # sign in
    assert not ArticleQuestion.objects.exists()


def test_the_csrf_token_is_required(article, agent):
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(agent)
    data = {"text": "Where is my parcel?", "question_locale": "en", "locale": "en"}
    assert strict.post(url(article), data).status_code == 403
    question = question_add(article=article, locale="en", text="Can I change my address?")
    assert strict.post(url(article), {"remove": str(question.pk)}).status_code == 403
    assert list(ArticleQuestion.objects.values_list("text", flat=True)) == [
        "Can I change my address?"
    ]
    # With the token the editor's form carries, it goes through.
    section = questions_section(strict.get(f"/helpcenter/{article.pk}/en/"))
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', section).group(1)
    response = strict.post(url(article), {**data, "csrfmiddlewaretoken": token})
    assert response.status_code == 302
    assert ArticleQuestion.objects.count() == 2
