"""Reactions to events (wired in ``storedesk.config.events``)."""

from storedesk.conversations.enums import MessageKind
from storedesk.conversations.events import MessageCreated


def enqueue_reply(event: MessageCreated) -> None:
    """A customer wrote in an inbox where the assistant answers first: its turn, in a task."""
    from storedesk.assistant.config import ASSISTANT_CHANNELS, assistant_config_of

    if event.kind != MessageKind.INBOUND:
        return
    if event.channel and event.channel not in ASSISTANT_CHANNELS:
        return  # e.g. an API or email message: no need to read the message's inbox
    from storedesk.assistant.tasks import assistant_reply
    from storedesk.conversations.models import Message

    message = Message.objects.filter(pk=event.message_id).select_related("inbox").first()
    if message is None or assistant_config_of(message.inbox) is None:
        return
    assistant_reply(event.message_id)


def enqueue_retraining(event) -> None:
    from storedesk.assistant.tasks import retrain_store_model

    retrain_store_model(event.store_id)
