"""Reactions to events (wired in ``storedesk.config.events``)."""

from storedesk.conversations.enums import MessageKind
from storedesk.conversations.events import MessageCreated


def enqueue_reply(event: MessageCreated) -> None:
    """A customer wrote in an inbox where the assistant takes part: its turn (a chat) or
    its suggestions (email, web form), in a task."""
    from storedesk.assistant.config import (
        ASSISTANT_CHANNELS,
        SUGGEST_CHANNELS,
        assistant_config_of,
        suggest_config_of,
    )

    if event.kind != MessageKind.INBOUND:
        return
    if event.channel and event.channel not in ASSISTANT_CHANNELS | SUGGEST_CHANNELS:
        return  # e.g. an API message: no need to read the message's inbox
    from storedesk.assistant.tasks import assistant_reply, assistant_suggestions
    from storedesk.conversations.models import Message

    message = Message.objects.filter(pk=event.message_id).select_related("inbox").first()
    if message is None:
        return
    if assistant_config_of(message.inbox) is not None:
        assistant_reply(event.message_id)
    elif suggest_config_of(message.inbox) is not None:
        assistant_suggestions(event.message_id)


def enqueue_retraining(event) -> None:
    from storedesk.assistant.tasks import retrain_store_model

    retrain_store_model(event.store_id)
