import dataclasses

from storedesk.core.events import Event


@dataclasses.dataclass(frozen=True)
class ShopIntentsChanged(Event):
    """A shop added, changed or removed its intents or examples: its model is retrained."""

    name = "assistant.shop_intents_changed"
    store_id: int
