"""The agents' live event stream (``/ws/agent/``).

Authenticated by the session; joins the real-time group of every store the agent may see
and forwards domain events as JSON. The client may send pings and presence ("viewing" or
"typing" a conversation it may see), which is relayed to the agents of that store only.
"""

import time

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from storedesk.accounts.selectors import visible_store_ids
from storedesk.conversations.selectors import access_conversation
from storedesk.core.errors import NotFound
from storedesk.core.realtime import store_group
from storedesk.stores.models import Store

PRESENCE_STATES = {"viewing", "typing"}
PRESENCE_PER_SECOND = 4
# How often a connected workspace refreshes the agent's "last seen" (it pings every 30 s);
# chat availability counts agents seen within two minutes.
SEEN_REFRESH_SECONDS = 45


@database_sync_to_async
def _mark_seen(user) -> None:
    from django.utils import timezone

    from storedesk.accounts.models import Agent

    Agent.objects.filter(pk=user.pk).update(last_seen_at=timezone.now())


@database_sync_to_async
def _chat_visitor_groups(conversation_id: int) -> list[str]:
    from storedesk.inboxes.adapters.webchat.service import visitor_group
    from storedesk.inboxes.models import ChatVisitor

    ids = ChatVisitor.objects.filter(conversation_id=conversation_id).values_list("id", flat=True)
    return [visitor_group(i) for i in ids]


@database_sync_to_async
def _store_ids_for(user) -> list[int]:
    ids = visible_store_ids(user)
    if ids is None:
        return list(Store.objects.values_list("id", flat=True))
    return sorted(ids)


@database_sync_to_async
def _store_of_visible_conversation(user, conversation_id: int) -> int | None:
    try:
        return access_conversation(actor=user, id=conversation_id).store_id
    except NotFound:
        return None


class AgentEventsConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self):
        user = self.scope.get("user")
        if user is None or not user.is_authenticated or not user.is_active:
            await self.close(code=4401)
            return
        self.user = user
        self.conversation_stores: dict[int, int | None] = {}
        self.presence_window = (0.0, 0)
        self.groups_joined = [store_group(i) for i in await _store_ids_for(user)]
        for group in self.groups_joined:
            await self.channel_layer.group_add(group, self.channel_name)
        await self.accept()
        await _mark_seen(user)
        self.seen_at = time.monotonic()
        await self.send_json({"event": "hello", "stores": len(self.groups_joined)})

    async def disconnect(self, code):
        for group in getattr(self, "groups_joined", ()):
            await self.channel_layer.group_discard(group, self.channel_name)

    async def receive_json(self, content, **kwargs):
        if not isinstance(content, dict):
            return
        if content.get("type") == "ping":
            if time.monotonic() - self.seen_at > SEEN_REFRESH_SECONDS:
                self.seen_at = time.monotonic()
                await _mark_seen(self.user)
            await self.send_json({"event": "pong"})
        elif content.get("type") == "presence":
            await self._presence(content)

    def _presence_allowed(self) -> bool:
        started, count = self.presence_window
        now = time.monotonic()
        if now - started >= 1:
            self.presence_window = (now, 1)
            return True
        self.presence_window = (started, count + 1)
        return count < PRESENCE_PER_SECOND

    async def _presence(self, content: dict) -> None:
        conversation_id = content.get("conversation_id")
        state = content.get("state")
        if not isinstance(conversation_id, int) or state not in PRESENCE_STATES:
            return
        if not self._presence_allowed():
            return
        if conversation_id not in self.conversation_stores:
            if len(self.conversation_stores) > 200:
                self.conversation_stores.clear()
            self.conversation_stores[conversation_id] = await _store_of_visible_conversation(
                self.user, conversation_id
            )
        store_id = self.conversation_stores[conversation_id]
        if store_id is None:
            return  # not visible to this agent: say nothing to anyone
        if state == "typing":
            await self._typing_to_visitors(conversation_id)
        await self.channel_layer.group_send(
            store_group(store_id),
            {
                "type": "storedesk.event",
                "payload": {
                    "event": "presence",
                    "conversation_id": conversation_id,
                    "store_id": store_id,
                    "agent_id": self.user.pk,
                    "agent_name": str(self.user),
                    "state": state,
                },
            },
        )

    async def _typing_to_visitors(self, conversation_id: int) -> None:
        """A chat visitor sees "<first name> is typing…" (never the agent's id)."""
        name = self.user.display_name or self.user.first_name or str(self.user)
        for group in await _chat_visitor_groups(conversation_id):
            await self.channel_layer.group_send(
                group,
                {
                    "type": "storedesk.event",
                    "payload": {"event": "typing", "state": True, "name": name},
                },
            )

    async def storedesk_event(self, message):
        await self.send_json(message["payload"])
