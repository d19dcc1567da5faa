"""Push events to connected websocket clients through the channel layer.

Groups are store-scoped (``store.<id>``): a consumer joins only the groups of the stores its
actor may see, so a publish never reaches someone outside the store.
"""

import logging

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

logger = logging.getLogger(__name__)


def store_group(store_id: int) -> str:
    return f"store.{store_id}"


def publish(group: str, payload: dict) -> None:
    """Send ``payload`` to every consumer in ``group``. Failures are logged, never raised:
    real-time delivery is best effort, the database stays the source of truth."""
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(group, {"type": "storedesk.event", "payload": payload})
    except Exception:
        logger.exception("realtime publish to %s failed", group)


def publish_store_event(event) -> None:
    """Event handler: forward a store-scoped domain event to the store's group."""
    publish(store_group(event.store_id), event.as_payload())
