"""Writes for the order snapshot."""

from __future__ import annotations

from django.db import transaction

from storedesk.commerce.connectors import connector_for
from storedesk.commerce.connectors.base import OrderSummary
from storedesk.commerce.models import Order


def order_upsert(*, store, summary: OrderSummary, contact=None) -> Order:
    """Create or refresh the snapshot of one order (idempotent on the platform's id)."""
    values = {
        "number": summary.number,
        "customer_email": summary.customer_email.lower(),
        "status": summary.status,
        "total": summary.total,
        "currency": summary.currency,
        "placed_at": summary.placed_at,
        "line_items": [
            {"sku": i.sku, "name": i.name, "quantity": i.quantity, "price": str(i.price)}
            for i in summary.line_items
        ],
        "fulfillment_status": summary.fulfillment_status,
        "carrier": summary.carrier,
        "tracking_number": summary.tracking_number,
        "tracking_url": summary.tracking_url,
    }
    if contact is not None:
        values["contact"] = contact
    order, _ = Order.objects.update_or_create(
        store=store, external_id=summary.external_id, defaults=values
    )
    return order


def orders_sync_for_contact(*, contact) -> list[Order]:
    """Fetch the contact's orders from the store's platform into the snapshot."""
    if not contact.email:
        return []
    summaries = connector_for(contact.store).orders_for_customer(contact.email)
    with transaction.atomic():
        return [order_upsert(store=contact.store, summary=s, contact=contact) for s in summaries]
