import dataclasses

from storedesk.core.events import Event


@dataclasses.dataclass(frozen=True)
class ContactCreated(Event):
    name = "contact.created"
    contact_id: int
    store_id: int


@dataclasses.dataclass(frozen=True)
class ContactUpdated(Event):
    name = "contact.updated"
    contact_id: int
    store_id: int
    fields: tuple[str, ...]


@dataclasses.dataclass(frozen=True)
class ContactMerged(Event):
    name = "contact.merged"
    contact_id: int
    merged_contact_id: int
    store_id: int
