"""Reactions to conversation events (wired in ``storedesk.config.events``)."""

from storedesk.conversations.enums import MessageKind
from storedesk.conversations.events import MessageCreated


def enqueue_delivery(event: MessageCreated) -> None:
    if event.kind == MessageKind.OUTBOUND:
        from storedesk.conversations.tasks import deliver_message

        deliver_message(event.message_id)


def enqueue_search_indexing(event: MessageCreated) -> None:
    from storedesk.conversations.tasks import index_message

    index_message(event.message_id)
