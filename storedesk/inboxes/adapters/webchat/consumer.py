"""The visitor's websocket (``/ws/chat/<public token>/``), spoken by the widget frame.

The frame is served by storedesk, so the socket's Origin is storedesk's own (checked by
``AllowedHostsOriginValidator``); which shop pages may embed the frame is the frame's
``frame-ancestors`` policy. The visitor is identified by the opaque token the first
``hello`` carries, never by an id; a visitor joins only its own group.

Client → server: ``hello {token, after_id, locale}``, ``message {text, client_key}``,
``prechat {fields}``, ``typing {state}``, ``seen {message_id}``,
``feedback {message_id, helpful}`` (the answer to the assistant's "Did this answer your
question?"), ``ping``.
Server → client: ``welcome``, ``session {token}``, ``messages {items}``,
``message {item, client_key}``, ``typing {state, name}``, ``feedback_saved {message_id,
helpful}``, ``error {code, message}``, ``pong``.
"""

from __future__ import annotations

import time

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from storedesk.core.errors import DomainError
from storedesk.core.ratelimit import rate_allow
from storedesk.core.realtime import store_group
from storedesk.inboxes.adapters.webchat import service

# Messages a visitor may send per minute, and per IP address across visitors.
VISITOR_MESSAGES_PER_MINUTE = 20
IP_MESSAGES_PER_MINUTE = 60
# Starting sessions (new visitor tokens) per IP per hour.
IP_SESSIONS_PER_HOUR = 30
TYPING_EVENTS_PER_10S = 10
# How often a connected window refreshes "last seen" (the client pings every 25 s).
SEEN_REFRESH_SECONDS = 20
MAX_FRAME_BYTES = 64 * 1024


def _client_ip(scope) -> str | None:
    client = scope.get("client")
    return client[0] if client else None


class VisitorConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self):
        token = self.scope["url_route"]["kwargs"]["public_token"]
        self.inbox = await database_sync_to_async(service.chat_inbox)(token)
        if self.inbox is None:
            await self.close(code=4404)
            return
        self.visitor = None
        self.locale = ""
        self.group = None
        self.seen_at = 0.0
        await self.accept()

    async def disconnect(self, code):
        if getattr(self, "group", None):
            await self.channel_layer.group_discard(self.group, self.channel_name)
        if getattr(self, "visitor", None) is not None:
            await database_sync_to_async(service.visitor_seen)(visitor=self.visitor, connections=-1)

    async def receive(self, text_data=None, bytes_data=None, **kwargs):
        if text_data is None or len(text_data) > MAX_FRAME_BYTES:
            await self._error("too_large", "The message is too large.")
            return
        await super().receive(text_data=text_data, **kwargs)

    async def receive_json(self, content, **kwargs):
        if not isinstance(content, dict):
            return
        kind = content.get("type")
        handler = {
            "hello": self._hello,
            "message": self._message,
            "prechat": self._prechat,
            "typing": self._typing,
            "seen": self._seen,
            "feedback": self._feedback,
            "ping": self._ping,
        }.get(kind)
        if handler is None:
            return
        if kind != "hello" and not hasattr(self, "hello_done"):
            await self._error("hello_first", "Say hello first.")
            return
        try:
            await handler(content)
        except DomainError as exc:
            await self._error(exc.code, exc.message, field=exc.field, **self._key(content))

    @staticmethod
    def _key(content: dict) -> dict:
        key = content.get("client_key")
        return {"client_key": key} if isinstance(key, str) and len(key) <= 64 else {}

    async def _error(self, code: str, message: str, **extra) -> None:
        await self.send_json({"event": "error", "code": code, "message": message, **extra})

    # --- Session ---------------------------------------------------------------------------

    async def _hello(self, content: dict) -> None:
        if hasattr(self, "hello_done"):
            return
        self.hello_done = True
        locale = content.get("locale")
        self.locale = locale[:16] if isinstance(locale, str) else ""
        token = content.get("token") if isinstance(content.get("token"), str) else None
        self.visitor = await database_sync_to_async(service.visitor_authenticate)(
            inbox=self.inbox, token=token
        )
        status = await database_sync_to_async(service.chat_status)(self.inbox, locale=self.locale)
        await self.send_json({"event": "welcome", "session": self.visitor is not None, **status})
        if self.visitor is None:
            return
        await self._join()
        after_id = content.get("after_id")
        after_id = after_id if isinstance(after_id, int) and after_id >= 0 else 0
        items = await database_sync_to_async(self._items)(after_id)
        if items:
            await self.send_json({"event": "messages", "items": items})

    def _items(self, after_id: int) -> list[dict]:
        return [
            service.chat_item(m)
            for m in service.visitor_messages(visitor=self.visitor, after_id=after_id)
        ]

    async def _join(self) -> None:
        self.group = service.visitor_group(self.visitor.pk)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await database_sync_to_async(service.visitor_seen)(visitor=self.visitor, connections=1)
        self.seen_at = time.monotonic()

    async def _ensure_visitor(self) -> None:
        """Start a visitor on their first message or pre-chat form (not on page views)."""
        if self.visitor is not None:
            return
        ip = _client_ip(self.scope)
        if not await database_sync_to_async(rate_allow)(
            f"chat-session:{ip}", limit=IP_SESSIONS_PER_HOUR, window=3600
        ):
            raise DomainError(
                "Too many new chats from your network. Try again later.", code="rate_limited"
            )
        self.visitor, token = await database_sync_to_async(service.visitor_start)(
            inbox=self.inbox, locale=self.locale, ip=ip
        )
        await self.send_json({"event": "session", "token": token})
        await self._join()

    async def _prechat(self, content: dict) -> None:
        fields = content.get("fields")
        if not isinstance(fields, dict):
            return
        config = await database_sync_to_async(self._config)()
        await self._ensure_visitor()
        await database_sync_to_async(service.visitor_set_details)(
            visitor=self.visitor, fields=fields, required=config.prechat_required
        )
        await self.send_json({"event": "prechat_saved"})

    def _config(self):
        """The inbox's chat settings, read once per connection."""
        if getattr(self, "chat_config", None) is None:
            from storedesk.inboxes.adapters import adapter_for

            self.chat_config = adapter_for(self.inbox).config
        return self.chat_config

    # --- Messages --------------------------------------------------------------------------

    def _within_limits(self) -> bool:
        ip = _client_ip(self.scope)
        checks = [(f"chat-ip:{ip}", IP_MESSAGES_PER_MINUTE)]
        if self.visitor is not None:
            checks.append((f"chat-visitor:{self.visitor.pk}", VISITOR_MESSAGES_PER_MINUTE))
        return all(rate_allow(key, limit=limit, window=60) for key, limit in checks)

    async def _message(self, content: dict) -> None:
        text, key = content.get("text"), content.get("client_key")
        if not isinstance(text, str) or not isinstance(key, str):
            await self._error("invalid", "A message needs text and a client_key.")
            return
        # One trip to the worker thread for the checks, and one for the write: each trip
        # costs a thread hand-off, which is what a busy server runs short of.
        refusal = await database_sync_to_async(self._refusal)(key)
        if refusal:
            await self._error(**refusal)
            return
        await self._ensure_visitor()
        item = await database_sync_to_async(self._write)(text, key)
        # Every open window of this visitor shows it (the sender replaces its placeholder).
        await self.channel_layer.group_send(
            self.group,
            {
                "type": "storedesk.event",
                "payload": {"event": "message", "item": item, "client_key": key},
            },
        )

    def _refusal(self, key: str) -> dict | None:
        """Why this message cannot be taken now (rate limit, pre-chat form), or None."""
        if not self._within_limits():
            return {
                "code": "rate_limited",
                "message": "You are writing too fast. Wait a moment.",
                "client_key": key,
            }
        missing = service.prechat_missing(self.visitor, self._config())
        if missing:
            return {
                "code": "prechat_required",
                "message": "Fill in the form first.",
                "field": missing[0],
                "client_key": key,
            }
        return None

    def _write(self, text: str, key: str) -> dict:
        message, _new = service.visitor_message(visitor=self.visitor, text=text, client_key=key)
        return service.chat_item(message)

    async def _typing(self, content: dict) -> None:
        if self.visitor is None or not self.visitor.conversation_id:
            return
        if not await database_sync_to_async(rate_allow)(
            f"chat-typing:{self.visitor.pk}", limit=TYPING_EVENTS_PER_10S, window=10
        ):
            return
        await self.channel_layer.group_send(
            store_group(self.inbox.store_id),
            {
                "type": "storedesk.event",
                "payload": {
                    "event": "visitor_typing",
                    "conversation_id": self.visitor.conversation_id,
                    "store_id": self.inbox.store_id,
                    "state": bool(content.get("state")),
                },
            },
        )

    async def _seen(self, content: dict) -> None:
        message_id = content.get("message_id")
        if self.visitor is None or not isinstance(message_id, int):
            return
        if not self.visitor.conversation_id or message_id <= self.visitor.seen_message_id:
            return
        self.visitor.seen_message_id = message_id
        await database_sync_to_async(service.visitor_mark_read)(
            visitor=self.visitor, message_id=message_id
        )

    async def _feedback(self, content: dict) -> None:
        message_id, helpful = content.get("message_id"), content.get("helpful")
        if self.visitor is None or not self.visitor.conversation_id:
            return
        if not isinstance(message_id, int) or not isinstance(helpful, bool):
            await self._error("invalid", "Feedback needs a message_id and helpful (true/false).")
            return
        if not await database_sync_to_async(self._within_limits)():
            await self._error("rate_limited", "You are writing too fast. Wait a moment.")
            return
        from storedesk.assistant.services import assistant_feedback

        await database_sync_to_async(assistant_feedback)(
            conversation_id=self.visitor.conversation_id, message_id=message_id, helpful=helpful
        )
        await self.send_json(
            {"event": "feedback_saved", "message_id": message_id, "helpful": helpful}
        )

    async def _ping(self, content: dict) -> None:
        if self.visitor is not None and time.monotonic() - self.seen_at > SEEN_REFRESH_SECONDS:
            self.seen_at = time.monotonic()
            await database_sync_to_async(service.visitor_seen)(visitor=self.visitor)
        await self.send_json({"event": "pong"})

    # --- From the server -------------------------------------------------------------------

    async def storedesk_event(self, message):
        await self.send_json(message["payload"])
