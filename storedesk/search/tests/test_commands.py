"""`storedesk helpcenter import`, `storedesk helpcenter search --json` and
`storedesk search reindex`."""

import json

import pytest

from storedesk.conversations.services import message_receive
from storedesk.core.testing import committed_events, inbound, make_inbox
from storedesk.helpcenter.commands import import_command, search_command
from storedesk.helpcenter.models import Article, ArticleTranslation
from storedesk.search.commands import reindex_command
from storedesk.search.models import DocumentKind, SearchDocument
from storedesk.stores.models import Store

pytestmark = pytest.mark.django_db(transaction=True)

ITEMS = [
    {"slug": "returns", "title": "Returning an item", "body": "## How\nSend it back in 30 days.",
     "category": "Returns"},
    {"slug": "returns", "title": "Povrat artikla", "body": "Vratite ga u roku od 30 dana.",
     "locale": "hr", "category": "Povrati"},
    {"slug": "payment", "title": "Paying by card", "body": "We take Visa and PayPal."},
    {"slug": "", "title": "Broken", "body": "No slug"},
    {"title": "Also broken"},
]  # fmt: skip


def test_import_creates_the_store_and_search_prints_json(tmp_path, capsys):
    path = tmp_path / "articles.json"
    path.write_text(json.dumps(ITEMS), encoding="utf-8")
    assert import_command(str(path), "newshop") == 1  # two items skipped, named on stderr
    out, err = capsys.readouterr()
    assert "newshop (store created): 3 translations saved, 2 new articles" in out
    assert "item 3 (key)" in err and "item 4 (slug)" in err
    store = Store.objects.get(slug="newshop")
    assert set(store.locales) == {"en", "hr"}
    returns = Article.objects.get(store=store, key="returns")
    assert returns.category.names == {"en": "Returns", "hr": "Povrati"}
    assert ArticleTranslation.objects.filter(article=returns, status="published").count() == 2

    assert search_command("visa paypal", "newshop", as_json=True) == 0
    hits = json.loads(capsys.readouterr().out)
    assert hits[0]["slug"] == "payment" and hits[0]["locale"] == "en"
    assert set(hits[0]) == {"slug", "title", "locale", "score"}
    assert [h["score"] for h in hits] == sorted((h["score"] for h in hits), reverse=True)
    assert search_command("x", "no-such-store") == 2


def test_import_refuses_what_is_not_an_array(tmp_path, capsys):
    path = tmp_path / "articles.json"
    path.write_text('{"slug": "a"}', encoding="utf-8")
    assert import_command(str(path), "shop") == 2
    path.write_text("not json", encoding="utf-8")
    assert import_command(str(path), "shop") == 2
    assert import_command(str(tmp_path / "missing.json"), "shop") == 2


def test_reindex_rebuilds_articles_messages_and_contacts(tmp_path, capsys):
    path = tmp_path / "articles.json"
    path.write_text(json.dumps(ITEMS[:3]), encoding="utf-8")
    import_command(str(path), "shop")
    store = Store.objects.get(slug="shop")
    with committed_events():
        message_receive(inbox=make_inbox(store), inbound=inbound("Where is parcel 4411?"))
    SearchDocument.objects.all().delete()
    assert reindex_command() == 0
    err = capsys.readouterr().err
    assert "articles: 2" in err and "3 published translations indexed" in err
    assert "1 messages with text indexed" in err
    assert "1 contacts indexed" in err
    assert SearchDocument.objects.filter(kind=DocumentKind.CONTACT).count() == 1
    assert SearchDocument.objects.filter(kind=DocumentKind.ARTICLE).count() == 3
    assert SearchDocument.objects.filter(kind=DocumentKind.MESSAGE).count() == 1
    assert reindex_command(store_slug="nope") == 2
