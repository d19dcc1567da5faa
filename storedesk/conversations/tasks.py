"""Background work for conversations. Tasks receive ids and call services; the sweep
re-drives anything a lost task left behind."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task, lock_task
from huey.exceptions import TaskLockedException

from storedesk.conversations import services
from storedesk.conversations.enums import DeliveryStatus
from storedesk.search.indexing import INDEXING_PRIORITY


@db_task()
def deliver_message(message_id: int) -> None:
    status = services.message_deliver(message_id=message_id)
    if status == DeliveryStatus.QUEUED:
        from storedesk.conversations.models import Message

        attempts = Message.objects.values_list("delivery_attempts", flat=True).get(pk=message_id)
        deliver_message.schedule(args=(message_id,), delay=services.retry_delay_seconds(attempts))


@db_task(priority=INDEXING_PRIORITY)
def index_message(message_id: int) -> None:
    from storedesk.conversations.search_index import message_reindex

    message_reindex(message_id=message_id)


@db_task(priority=INDEXING_PRIORITY)
def index_messages(message_ids: list[int]) -> None:
    """Index many messages at once (bulk-written history, e.g. the demo's)."""
    from storedesk.conversations.search_index import messages_reindex

    messages_reindex(message_ids=message_ids)


@db_periodic_task(crontab(minute="*"))
def sweep_outbound() -> None:
    """Every minute: re-enqueue outbound messages stuck in ``queued``."""
    for message_id in services.messages_due_for_delivery():
        deliver_message(message_id)


@db_periodic_task(crontab(minute="*"))
def wake_snoozed() -> None:
    services.conversations_wake_snoozed()


@db_periodic_task(crontab(minute="*"), priority=INDEXING_PRIORITY)
def embed_messages() -> None:
    """Every minute, for up to 20 s: embed customers' messages that have none yet, newest
    first, so agents' search finds them by meaning. One run at a time."""
    from storedesk.conversations.search_index import messages_embed_pending

    try:
        # The lock expires, so a worker killed mid-run does not stop the embedding for good.
        with lock_task("embed_messages", ttl=120):
            messages_embed_pending(seconds=20.0)
    except TaskLockedException:
        return  # the previous minute's run is still at work
