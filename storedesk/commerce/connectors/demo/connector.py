"""The ``demo`` platform: a deterministic make-believe shop.

Every customer email has a stable history of orders derived from a hash of the email and the
store, so the demo and the tests see the same orders on every machine.
"""

from __future__ import annotations

import hashlib
import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from storedesk.commerce.connectors import register
from storedesk.commerce.connectors.base import Connector, LineItem, OrderSummary

CATALOGUES = {
    "fashion": [
        ("TS-01", "Organic cotton T-shirt", "19.90"),
        ("JN-02", "Slim fit jeans", "59.00"),
        ("SN-03", "Canvas sneakers", "45.50"),
        ("DR-04", "Linen summer dress", "72.00"),
        ("JK-05", "Rain jacket", "89.00"),
        ("SC-06", "Wool scarf", "24.00"),
    ],
    "electronics": [
        ("HP-10", "Wireless headphones", "129.00"),
        ("CB-11", "USB-C cable 2 m", "12.99"),
        ("PB-12", "Power bank 20,000 mAh", "39.90"),
        ("SW-13", "Smart watch", "199.00"),
        ("KB-14", "Mechanical keyboard", "89.90"),
        ("CH-15", "65 W charger", "34.50"),
    ],
}
CARRIERS = [
    ("DHL", "https://www.dhl.com/track?tracking-id={}"),
    ("UPS", "https://www.ups.com/track?tracknum={}"),
    ("GLS", "https://gls-group.com/track/{}"),
]
# Weighted towards the states customers write about.
STATUSES = ["delivered"] * 5 + ["shipped"] * 3 + ["paid"] * 2 + ["cancelled", "refunded"]


def _rng(*parts: str) -> random.Random:
    seed = hashlib.sha256("|".join(parts).encode()).digest()
    return random.Random(int.from_bytes(seed[:8], "big"))


@register
class DemoConnector(Connector):
    platform = "demo"

    def _catalogue(self):
        kind = self.store.commerce_config.get("catalogue", "fashion")
        return CATALOGUES.get(kind, CATALOGUES["fashion"])

    def _prefix(self) -> str:
        return self.store.commerce_config.get("order_prefix", self.store.slug[:2].upper())

    def orders_for_customer(self, email: str, *, now: datetime | None = None) -> list[OrderSummary]:
        email = email.strip().lower()
        rng = _rng(self.store.slug, email)
        now = now or datetime.now(UTC)
        currency = self.store.commerce_config.get("currency", "EUR")
        orders = []
        for index in range(rng.randint(1, 4)):
            placed_at = now - timedelta(days=rng.randint(1, 120), minutes=rng.randint(0, 1440))
            items = tuple(
                LineItem(sku=sku, name=name, quantity=rng.randint(1, 2), price=Decimal(price))
                for sku, name, price in rng.sample(self._catalogue(), rng.randint(1, 3))
            )
            total = sum((item.price * item.quantity for item in items), Decimal("0"))
            status = rng.choice(STATUSES)
            if placed_at > now - timedelta(days=3) and status == "delivered":
                status = "shipped"
            carrier, tracking = "", ""
            tracking_url = ""
            if status in {"shipped", "delivered"}:
                carrier, url = rng.choice(CARRIERS)
                tracking = f"{rng.randint(10**11, 10**12 - 1)}"
                tracking_url = url.format(tracking)
            digest = hashlib.sha256(f"{self.store.slug}|{email}|{index}".encode()).hexdigest()
            number = f"{self._prefix()}{1_000_000 + int(digest[:12], 16) % 9_000_000}"
            orders.append(
                OrderSummary(
                    external_id=f"demo-{number}",
                    number=number,
                    customer_email=email,
                    status=status,
                    total=total.quantize(Decimal("0.01")),
                    currency=currency,
                    placed_at=placed_at,
                    line_items=items,
                    fulfillment_status="fulfilled" if carrier else "unfulfilled",
                    carrier=carrier,
                    tracking_number=tracking,
                    tracking_url=tracking_url,
                )
            )
        return sorted(orders, key=lambda order: order.placed_at, reverse=True)

    def order_by_number(self, number: str) -> OrderSummary | None:
        from storedesk.commerce.models import Order

        order = Order.objects.filter(store=self.store, number=number).first()
        if order is None or not order.customer_email:
            return None
        return next(
            (o for o in self.orders_for_customer(order.customer_email) if o.number == number), None
        )
