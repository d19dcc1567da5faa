"""Background work for contacts."""

from huey.contrib.djhuey import db_task

from storedesk.search.indexing import INDEXING_PRIORITY


@db_task(priority=INDEXING_PRIORITY)
def index_contact(contact_id: int) -> None:
    from storedesk.contacts.search_index import contact_reindex

    contact_reindex(contact_id=contact_id)


@db_task(priority=INDEXING_PRIORITY)
def index_contacts(contact_ids: list[int]) -> None:
    """Index many contacts at once (bulk-written ones, e.g. the demo's)."""
    from storedesk.contacts.search_index import contacts_reindex

    contacts_reindex(contact_ids=contact_ids)
