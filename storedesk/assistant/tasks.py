"""Background work of the assistant: its turn after a customer message, its suggestions
for a new request by email or web form."""

from huey.contrib.djhuey import db_task

# Ahead of indexing and delivery: the customer is watching the chat for the answer.
REPLY_PRIORITY = 20


# A failed turn is tried again (a turn is idempotent: its reply carries the message's id).
@db_task(priority=REPLY_PRIORITY, retries=2, retry_delay=5)
def assistant_reply(message_id: int) -> None:
    from storedesk.assistant.services import assistant_respond

    assistant_respond(message_id=message_id)


@db_task(retries=2, retry_delay=30)
def assistant_suggestions(message_id: int) -> None:
    from storedesk.assistant.suggestion_services import assistant_suggest

    assistant_suggest(message_id=message_id)


@db_task()
def retrain_store_model(store_id: int) -> None:
    """Train the store's intent model after its shop changed intents or examples."""
    from storedesk.assistant.understanding import train_store_model

    train_store_model(store_id)
