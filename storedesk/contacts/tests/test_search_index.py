"""Agents find contacts (and their conversations) by any word of their name, addresses,
phone numbers or channel ids, with diacritics folded, and never another store's."""

import pytest

from storedesk.contacts.selectors import contact_list
from storedesk.contacts.services import contact_identify, contact_update
from storedesk.conversations.selectors import ConversationFilters, conversation_list
from storedesk.conversations.services import message_receive
from storedesk.core.testing import StoreFactory, committed_events, inbound, make_inbox
from storedesk.inboxes.adapters.base import SenderRef

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop():
    return StoreFactory(slug="jadran", supported_locales=["hr", "en"], default_locale="hr")


def ids(queryset):
    return {row.pk for row in queryset}


def test_a_contact_is_found_by_name_without_diacritics_and_by_any_identity(shop, admin_agent):
    with committed_events():
        contact = contact_identify(
            store=shop,
            sender=SenderRef(
                identity_kind="phone", external_id="+385 91 555 0101", name="Ivana Kovačević"
            ),
        )
        contact_update(contact=contact, actor=None, notes="Prefers pickup in Split")
    assert ids(contact_list(actor=admin_agent, q="kovacevic")) == {contact.pk}
    assert ids(contact_list(actor=admin_agent, q="ivana split")) == {contact.pk}
    assert ids(contact_list(actor=admin_agent, q="0101")) == {contact.pk}
    assert ids(contact_list(actor=admin_agent, q="kovacevic zagreb")) == set()


def test_the_inbox_search_finds_a_customers_conversations_by_their_name(shop, admin_agent):
    with committed_events():
        message = message_receive(
            inbox=make_inbox(shop),
            inbound=inbound("Hello", email="zeljka@example.hr", name="Željka Đurić"),
        )
    rows, _ = conversation_list(actor=admin_agent, filters=ConversationFilters(q="djuric"))
    assert {row.pk for row in rows} == {message.conversation_id}


def test_another_stores_contacts_are_never_found(shop, restricted_agent):
    other = StoreFactory(slug="other", supported_locales=["en"])
    with committed_events():
        for store in (restricted_agent.stores.first(), other):
            contact_identify(
                store=store,
                sender=SenderRef(identity_kind="email", external_id="x@y.z", name="Marko Perić"),
            )
    found = contact_list(actor=restricted_agent, q="peric")
    assert {c.store_id for c in found} == set(restricted_agent.stores.values_list("id", flat=True))
