"""The agents' live event stream (``/ws/agent/``).

Authenticated by the session; joins the real-time group of every store the agent may see
and forwards domain events as JSON. Nothing is accepted from the client but pings.
"""

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from storedesk.accounts.selectors import visible_store_ids
from storedesk.core.realtime import store_group
from storedesk.stores.models import Store


@database_sync_to_async
def _store_ids_for(user) -> list[int]:
    ids = visible_store_ids(user)
    if ids is None:
        return list(Store.objects.values_list("id", flat=True))
    return sorted(ids)


class AgentEventsConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self):
        user = self.scope.get("user")
        if user is None or not user.is_authenticated or not user.is_active:
            await self.close(code=4401)
            return
        self.groups_joined = [store_group(i) for i in await _store_ids_for(user)]
        for group in self.groups_joined:
            await self.channel_layer.group_add(group, self.channel_name)
        await self.accept()
        await self.send_json({"event": "hello", "stores": len(self.groups_joined)})

    async def disconnect(self, code):
        for group in getattr(self, "groups_joined", ()):
            await self.channel_layer.group_discard(group, self.channel_name)

    async def receive_json(self, content, **kwargs):
        if content.get("type") == "ping":
            await self.send_json({"event": "pong"})

    async def storedesk_event(self, message):
        await self.send_json(message["payload"])
