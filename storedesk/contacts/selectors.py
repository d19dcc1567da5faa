from django.db.models import Q, QuerySet

from storedesk.accounts.selectors import scope_to_stores, visible_store_ids
from storedesk.contacts.models import Contact
from storedesk.contacts.search_index import contacts_matching
from storedesk.core.errors import NotFound


def contact_list(
    *, actor, store_id: int | None = None, q: str = "", email: str = ""
) -> QuerySet[Contact]:
    contacts = scope_to_stores(Contact.objects.all(), actor)
    if store_id is not None:
        contacts = contacts.filter(store_id=store_id)
    if email:
        contacts = contacts.filter(
            Q(email__iexact=email)
            | Q(identities__kind="email", identities__external_id=email.strip().lower())
        ).distinct()
    q = q.replace("\x00", "")  # PostgreSQL refuses NUL even in a query parameter
    if q:
        # Every word in the search index (name, addresses, phones, channel ids, notes; scoped
        # inside its query), or part of the name, address or phone as typed.
        matching = contacts_matching(q, store_ids=visible_store_ids(actor))
        contacts = contacts.filter(
            Q(pk__in=matching)
            | Q(name__icontains=q)
            | Q(email__icontains=q)
            | Q(phone__icontains=q)
        )
    return contacts.order_by("-id")


def access_contact(*, actor, id: int, for_update: bool = False) -> Contact:
    """The contact ``id`` if ``actor`` may see it; :class:`NotFound` otherwise."""
    contacts = scope_to_stores(Contact.objects.select_related("store", "dedicated_agent"), actor)
    if for_update:
        contacts = contacts.select_for_update(of=("self",))
    contact = contacts.filter(pk=id).first()
    if contact is None:
        raise NotFound("Contact not found.")
    return contact
