"""Agents find conversations by the words of their messages, in every store language,
and never another store's."""

import pytest

from storedesk.conversations.search_index import conversations_matching
from storedesk.conversations.selectors import ConversationFilters, conversation_list
from storedesk.conversations.services import message_receive
from storedesk.core.testing import StoreFactory, committed_events, inbound, make_inbox
from storedesk.search.models import DocumentKind, SearchDocument

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop():
    return StoreFactory(slug="jadran", supported_locales=["en", "hr", "zh-hans"])


def receive(store, text, email, subject=""):
    inbox = make_inbox(store, "api", f"API {email}")
    with committed_events():
        message = message_receive(inbox=inbox, inbound=inbound(text, email=email, subject=subject))
    return message.conversation


def found(actor, q):
    rows, _ = conversation_list(actor=actor, filters=ConversationFilters(q=q))
    return {row.pk for row in rows}


def test_every_message_is_indexed_in_its_language(shop):
    conversation = receive(shop, "Plaćanje karticom nije prošlo, narudžba FA1002003", "a@x.hr")
    document = SearchDocument.objects.get(kind=DocumentKind.MESSAGE, parent_id=conversation.pk)
    assert document.locale == "hr"
    assert document.store_id == shop.pk
    assert "1002003" in document.body_terms.split()


def test_message_words_find_the_conversation_in_each_language(shop, admin_agent):
    croatian = receive(shop, "Plaćanje pouzećem nije moguće na vašoj stranici", "a@x.hr")
    chinese = receive(shop, "我想退货，订单号12345还没有发货", "b@x.cn")
    english = receive(shop, "The refunds for my two orders never arrived", "c@x.com")
    assert found(admin_agent, "placanje pouzecem") == {croatian.pk}  # diacritics folded
    assert found(admin_agent, "退货") == {chinese.pk}  # segmented
    assert found(admin_agent, "refund") == {english.pk}  # stemmed
    assert found(admin_agent, "12345") == {chinese.pk}
    # Every word must be there: a second word the message lacks finds nothing.
    assert found(admin_agent, "refund pouzecem") == set()


def test_chinese_words_jieba_cuts_differently_in_query_and_message(shop):
    # The message is cut 快递 + 柜自提 and 还 + 没收 + 到; the queries 快递 + 柜 and 收到.
    locker = receive(shop, "可以寄到快递柜自提吗", "d@x.cn")
    late = receive(shop, "包裹还没收到", "e@x.cn")
    every_store = {"store_ids": None}
    assert conversations_matching("快递柜", **every_store) == [locker.pk]
    assert conversations_matching("收到", **every_store) == [late.pk]
    assert conversations_matching("快递柜 收到", **every_store) == []


def test_search_is_scoped_to_the_agents_stores_inside_the_query(shop, restricted_agent):
    other = StoreFactory(slug="other", supported_locales=["en"])
    mine = receive(restricted_agent.stores.first(), "Where is parcel 777?", "m@x.com")
    theirs = receive(other, "Where is parcel 777?", "t@x.com")
    store_ids = set(restricted_agent.stores.values_list("id", flat=True))
    assert conversations_matching("parcel 777", store_ids=store_ids) == [mine.pk]
    assert found(restricted_agent, "parcel 777") == {mine.pk}
    assert theirs.pk in conversations_matching("parcel 777", store_ids=None)


def test_hostile_queries_match_nothing_and_never_fail(shop, admin_agent):
    receive(shop, "Hello there", "h@x.com")
    for query in ['" OR 1=1 --', "NEAR(a b)", "*", "a & b | !c", "':*", "\x00"]:
        found(admin_agent, query)  # must not raise
