"""Order self-service: which order a customer means, and whether they may see it.

An order is shown only to someone who proved it is theirs:
- a contact reached through a channel that vouches for them (an email sender, or an order
  the shop's connector linked to the contact), or
- anyone who gives the order's number together with the email address it was placed with.

A wrong pair gets the same answer whether or not the number exists, so the assistant cannot
be used to find out which order numbers are real; two wrong pairs hand off to a person.
"""

from __future__ import annotations

import re

from django.db.models import Q
from django.utils.translation import gettext as _

from storedesk.commerce.models import Order, OrderStatus

# "#1042", "VO1234567", "SH-2024-1042", "narudžba 55123": a run with at least 4 digits,
# optionally led by up to 4 letters.
_ORDER_NUMBER = re.compile(
    r"(?<![A-Za-z0-9@.])#?\s?([A-Za-z]{0,4}[-‐]?\d[\d-]{2,18}\d)(?![A-Za-z0-9@])"
)
_EMAIL = re.compile(r"[A-Za-z0-9._%+'-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
# Channels whose sender address the contact's orders may be trusted by.
VOUCHING_CHANNELS = frozenset({"email"})


def order_numbers_in(text: str) -> list[str]:
    """Candidate order numbers written in ``text``, first mentioned first."""
    numbers = []
    for match in _ORDER_NUMBER.finditer(text):
        number = match.group(1)
        if sum(c.isdigit() for c in number) >= 4 and number not in numbers:
            numbers.append(number)
    return numbers


def email_in(text: str) -> str:
    match = _EMAIL.search(text)
    return match.group(0).lower().rstrip(".") if match else ""


def _same_number(number: str) -> Q:
    plain = number.lstrip("#").replace("‐", "-")
    variants = {plain, plain.replace("-", ""), plain.upper()}
    query = Q()
    for variant in variants:
        query |= Q(number__iexact=variant)
    return query


def order_by_number_and_email(*, store_id: int, number: str, email: str) -> Order | None:
    """The store's order ``number`` placed with ``email``, or None (also when the number
    exists with another address). One number per call: each call is one guess."""
    if not number or not email:
        return None
    return (
        Order.objects.filter(_same_number(number), store_id=store_id, customer_email__iexact=email)
        .order_by("-placed_at")
        .first()
    )


def vouched_orders(*, contact, channel: str) -> list[Order]:
    """The contact's orders the channel vouches for, newest first: linked by the shop's
    connector, or (through an email inbox) placed with the sender's address."""
    from storedesk.commerce.selectors import order_list_for_contact

    if channel in VOUCHING_CHANNELS:
        return order_list_for_contact(contact=contact, limit=10)
    return list(Order.objects.filter(contact=contact, store_id=contact.store_id)[:10])


STATUS_TEXT = {
    OrderStatus.PENDING: lambda: _("It is waiting for payment."),
    OrderStatus.PAID: lambda: _("It is paid and being prepared for shipping."),
    OrderStatus.SHIPPED: lambda: _("It has been shipped."),
    OrderStatus.DELIVERED: lambda: _("It has been delivered."),
    OrderStatus.CANCELLED: lambda: _("It was cancelled."),
    OrderStatus.REFUNDED: lambda: _("It was refunded."),
}


def order_status_text(order: Order) -> str:
    """The order's status, items and tracking, in the active language."""
    lines = [
        _("Order %(number)s from %(date)s.")
        % {"number": order.number, "date": order.placed_at.date().isoformat()},
        STATUS_TEXT.get(order.status, lambda: order.get_status_display())(),
    ]
    items = [
        f"• {item.get('name', '')} × {item.get('quantity', 1)}"
        for item in (order.line_items or [])[:10]
        if isinstance(item, dict)
    ]
    if items:
        lines.append(_("Items:"))
        lines += items
    if order.tracking_number:
        carrier = f"{order.carrier} " if order.carrier else ""
        lines.append(
            _("Tracking: %(carrier)s%(number)s")
            % {"carrier": carrier, "number": order.tracking_number}
        )
        if order.tracking_url:
            lines.append(order.tracking_url)
    return "\n".join(lines)
