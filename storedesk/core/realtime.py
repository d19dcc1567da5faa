"""Push events to connected websocket clients through the channel layer.

Groups are store-scoped (``store.<id>``): a consumer joins only the groups of the stores its
actor may see, so a publish never reaches someone outside the store.
"""

import asyncio
import logging

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

logger = logging.getLogger(__name__)
_pending: set = set()  # keeps scheduled sends alive until they finish


def store_group(store_id: int) -> str:
    return f"store.{store_id}"


def publish(group: str, payload: dict) -> None:
    """Send ``payload`` to every consumer in ``group``. Failures are logged, never raised:
    real-time delivery is best effort, the database stays the source of truth."""
    layer = get_channel_layer()
    if layer is None:
        return
    message = {"type": "storedesk.event", "payload": payload}
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        loop = None
    try:
        if loop is None:
            async_to_sync(layer.group_send)(group, message)
        else:
            # Sync code called on an event loop's own thread cannot block on it; hand the
            # send to that loop instead.
            task = loop.create_task(layer.group_send(group, message))
            _pending.add(task)
            task.add_done_callback(_pending.discard)
    except Exception:
        logger.exception("realtime publish to %s failed", group)


def publish_store_event(event) -> None:
    """Event handler: forward a store-scoped domain event to the store's group."""
    publish(store_group(event.store_id), event.as_payload())
