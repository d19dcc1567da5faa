import dataclasses

from storedesk.core.events import Event


@dataclasses.dataclass(frozen=True)
class ConversationEvent(Event):
    """Base of events about one conversation; pushed to the store's real-time group."""

    conversation_id: int
    store_id: int


@dataclasses.dataclass(frozen=True)
class ConversationCreated(ConversationEvent):
    name = "conversation.created"
    inbox_id: int
    contact_id: int
    # The inbox's kind ("webchat", "email", ...): the workspace rings for a new chat.
    channel: str = ""


@dataclasses.dataclass(frozen=True)
class MessageCreated(ConversationEvent):
    name = "message.created"
    message_id: int
    kind: str
    # The inbox's kind, when the sender knows it: handlers for one channel skip the rest
    # without reading the message.
    channel: str = ""


@dataclasses.dataclass(frozen=True)
class MessageDeliveryChanged(ConversationEvent):
    name = "message.delivery_changed"
    message_id: int
    delivery_status: str


@dataclasses.dataclass(frozen=True)
class ConversationStatusChanged(ConversationEvent):
    name = "conversation.status_changed"
    old_status: str
    new_status: str


@dataclasses.dataclass(frozen=True)
class ConversationAssigned(ConversationEvent):
    name = "conversation.assigned"
    assignee_id: int | None
    team_id: int | None


@dataclasses.dataclass(frozen=True)
class ConversationTagged(ConversationEvent):
    name = "conversation.tagged"
    added: tuple[str, ...]
    removed: tuple[str, ...]


@dataclasses.dataclass(frozen=True)
class ConversationContactChanged(ConversationEvent):
    name = "conversation.contact_changed"
    contact_id: int


@dataclasses.dataclass(frozen=True)
class ConversationPriorityChanged(ConversationEvent):
    name = "conversation.priority_changed"
    priority: int
