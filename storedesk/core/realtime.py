"""Push events to connected websocket clients through the channel layer.

Groups are store-scoped (``store.<id>``): a consumer joins only the groups of the stores its
actor may see, so a publish never reaches someone outside the store.

With a cross-process layer (Redis) the request does not wait for the send: events go, in
order, through one background sender thread. The in-memory layer (embedded mode) must be
used from the server's own event loop, so there the send runs on it as before.
"""

import asyncio
import logging
import threading

from asgiref.sync import async_to_sync
from channels.layers import InMemoryChannelLayer, get_channel_layer

logger = logging.getLogger(__name__)
_pending: set = set()  # keeps sends scheduled on a running loop alive until they finish


def store_group(store_id: int) -> str:
    return f"store.{store_id}"


class _BackgroundSender:
    """One daemon thread with its own event loop sending queued messages in order."""

    def __init__(self):
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._queue: asyncio.Queue | None = None

    def _start(self) -> None:
        ready = threading.Event()

        def run() -> None:
            loop = asyncio.new_event_loop()
            asyncio.set_event_loop(loop)
            self._queue = asyncio.Queue()
            self._loop = loop
            loop.create_task(self._drain())
            ready.set()
            loop.run_forever()

        threading.Thread(target=run, name="storedesk-realtime", daemon=True).start()
        ready.wait(timeout=5)

    async def _drain(self) -> None:
        while True:
            layer, group, message = await self._queue.get()
            try:
                await layer.group_send(group, message)
            except Exception:
                logger.exception("realtime publish to %s failed", group)

    def submit(self, layer, group: str, message: dict) -> None:
        with self._lock:
            if self._loop is None or not self._loop.is_running():
                self._start()
        self._loop.call_soon_threadsafe(self._queue.put_nowait, (layer, group, message))


_sender = _BackgroundSender()


def publish(group: str, payload: dict) -> None:
    """Send ``payload`` to every consumer in ``group``. Failures are logged, never raised:
    real-time delivery is best effort, the database stays the source of truth."""
    layer = get_channel_layer()
    if layer is None:
        return
    message = {"type": "storedesk.event", "payload": payload}
    try:
        if not isinstance(layer, InMemoryChannelLayer):
            _sender.submit(layer, group, message)
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            loop = None
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
