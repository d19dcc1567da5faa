"""The one table of who reacts to which domain event.

Keys are event classes (a handler listed for a base class receives every subclass);
values are dotted paths of callables taking the event. Handlers run after commit, in the
order listed, and must be idempotent.
"""

from storedesk.assistant.events import ShopIntentsChanged
from storedesk.contacts.events import ContactCreated, ContactMerged, ContactUpdated
from storedesk.conversations.events import ConversationEvent, MessageCreated
from storedesk.helpcenter.events import ArticleChanged
from storedesk.inboxes.events import InboundPayloadStored

HANDLERS: dict[type, list[str]] = {
    # Every conversation event is pushed live to agents who may see the store.
    ConversationEvent: ["storedesk.core.realtime.publish_store_event"],
    MessageCreated: [
        "storedesk.conversations.handlers.enqueue_delivery",
        # Every message is indexed for the agents' search in a task.
        "storedesk.conversations.handlers.enqueue_search_indexing",
        # In an inbox where the assistant answers first, its turn follows.
        "storedesk.assistant.handlers.enqueue_reply",
    ],
    # Contacts are indexed for the agents' search in a task.
    ContactCreated: ["storedesk.contacts.handlers.enqueue_search_indexing"],
    ContactUpdated: [
        "storedesk.core.realtime.publish_store_event",
        "storedesk.contacts.handlers.enqueue_search_indexing",
    ],
    ContactMerged: [
        "storedesk.core.realtime.publish_store_event",
        "storedesk.contacts.handlers.enqueue_search_indexing",
    ],
    # Raw channel input is processed in a task once it is safely stored.
    InboundPayloadStored: ["storedesk.inboxes.handlers.enqueue_processing"],
    # A published, changed or removed article is (re-)indexed for search in a task.
    ArticleChanged: ["storedesk.helpcenter.handlers.enqueue_indexing"],
    # A shop changed its assistant intents: the store's intent model is retrained in a task.
    ShopIntentsChanged: ["storedesk.assistant.handlers.enqueue_retraining"],
}
