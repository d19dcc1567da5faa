"""Messages in the search index: each message with text is one document of its
conversation, analyzed in the conversation's language (or the one detected among the
store's). Agents' inbox search finds conversations through it."""

from __future__ import annotations

from storedesk.conversations.models import Message
from storedesk.search.indexing import WordsOnly, document_remove, documents_index_words
from storedesk.search.language import detected_locale, matching_locale
from storedesk.search.lexical import parents_matching
from storedesk.search.models import DocumentKind
from storedesk.stores.models import Store


def message_reindex(*, message_id: int) -> bool:
    """Index one message (or drop it when it is gone or has no text). Returns whether it is
    indexed."""
    return messages_reindex(message_ids=[message_id]) == 1


def messages_reindex(*, message_ids) -> int:
    """Index these messages in one statement (dropping those gone or without text); returns
    how many are indexed."""
    message_ids = list(message_ids)
    messages = Message.objects.select_related("conversation", "conversation__store").filter(
        pk__in=message_ids
    )
    items = [
        WordsOnly(
            store_id=message.conversation.store_id,
            kind=DocumentKind.MESSAGE,
            object_id=message.pk,
            parent_id=message.conversation_id,
            locale=_locale(message.text, message.conversation.language, message.conversation.store),
            title="",
            body=message.text,
            created_at=message.created_at,
        )
        for message in messages
        if message.text.strip()
    ]
    # Messages are matched word for word for now; vectors would cost ~10 ms each.
    documents_index_words(items)
    indexed = {item.object_id for item in items}
    gone = [pk for pk in message_ids if pk not in indexed]
    if gone:
        document_remove(kind=DocumentKind.MESSAGE, object_ids=gone)
    return len(items)


def _locale(text: str, language: str, store: Store) -> str:
    """The store locale a message is analyzed in: its conversation's language, else the one
    detected among the store's, else the store's default."""
    locales = store.locales
    found = matching_locale(language, locales) if language else None
    return found or detected_locale(text, locales) or store.default_locale


def conversations_matching(query: str, *, store_ids, limit: int = 500) -> list[int]:
    """Ids of conversations whose messages hold every word of ``query`` (analyzed for each
    language of the stores in scope), best match first. ``store_ids`` ``None``: every
    store."""
    return parents_matching(query, kind=DocumentKind.MESSAGE, store_ids=store_ids, limit=limit)
