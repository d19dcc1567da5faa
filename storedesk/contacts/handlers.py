"""Reactions to contact events (wired in ``storedesk.config.events``)."""

from storedesk.contacts.events import ContactCreated, ContactMerged, ContactUpdated


def enqueue_search_indexing(event: ContactCreated | ContactUpdated | ContactMerged) -> None:
    from storedesk.contacts.tasks import index_contact

    index_contact(event.contact_id)
    if isinstance(event, ContactMerged):
        index_contact(event.merged_contact_id)  # gone: its document is dropped
