"""Contacts in the search index: name, addresses, phone numbers, channel ids and notes, so
agents find a customer by any of them (a name typed without diacritics, one word of an
address, a phone number's digits)."""

from __future__ import annotations

from storedesk.contacts.models import Contact
from storedesk.search.indexing import WordsOnly, document_remove, documents_index_words
from storedesk.search.lexical import parents_matching
from storedesk.search.models import DocumentKind


def contact_reindex(*, contact_id: int) -> bool:
    """Index one contact (or drop it when it is gone). Returns whether it is indexed."""
    return contacts_reindex(contact_ids=[contact_id]) == 1


def contacts_reindex(*, contact_ids) -> int:
    """Index these contacts in one statement (dropping those gone); returns how many are
    indexed."""
    contact_ids = list(contact_ids)
    contacts = (
        Contact.objects.select_related("store")
        .prefetch_related("identities")
        .filter(pk__in=contact_ids)
    )
    items = [_document(contact) for contact in contacts]
    documents_index_words(items)
    indexed = {item.object_id for item in items}
    gone = [pk for pk in contact_ids if pk not in indexed]
    if gone:
        document_remove(kind=DocumentKind.CONTACT, object_ids=gone)
    return len(items)


def _document(contact: Contact) -> WordsOnly:
    store = contact.store
    locale = contact.locale if contact.locale in store.locales else store.default_locale
    ids = [identity.external_id for identity in contact.identities.all()]
    return WordsOnly(
        store_id=store.pk,
        kind=DocumentKind.CONTACT,
        object_id=contact.pk,
        parent_id=contact.pk,
        locale=locale,
        title=contact.name,
        body="\n".join(
            part for part in [contact.email, contact.phone, *ids, contact.notes] if part
        ),
    )


def contacts_matching(query: str, *, store_ids, limit: int = 500) -> list[int]:
    """Ids of contacts holding every word of ``query``, best first; ``store_ids`` ``None``:
    every store."""
    return parents_matching(query, kind=DocumentKind.CONTACT, store_ids=store_ids, limit=limit)
