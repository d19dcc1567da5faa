from django.db.models import Q

from storedesk.commerce.models import Order


def order_list_for_contact(*, contact, limit: int = 50) -> list[Order]:
    """The contact's orders, by link or by one of its email addresses, newest first.
    ``contact`` must already be access-checked."""
    emails = {contact.email.lower()} if contact.email else set()
    emails |= set(contact.identities.filter(kind="email").values_list("external_id", flat=True))
    condition = Q(contact=contact)
    if emails:
        condition |= Q(customer_email__in=emails)
    return list(
        Order.objects.filter(condition, store_id=contact.store_id).order_by("-placed_at")[:limit]
    )
