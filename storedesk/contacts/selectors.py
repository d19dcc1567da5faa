from django.db.models import Q, QuerySet

from storedesk.accounts.selectors import scope_to_stores
from storedesk.contacts.models import Contact
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
    if q:
        contacts = contacts.filter(
            Q(name__icontains=q) | Q(email__icontains=q) | Q(phone__icontains=q)
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
