"""The contract between storedesk and a shop platform.

A connector answers questions about a store's orders and returns frozen dataclasses; the
``commerce.services`` functions turn them into the local snapshot (``Order`` rows).
"""

from __future__ import annotations

import dataclasses
from datetime import datetime
from decimal import Decimal
from typing import ClassVar


@dataclasses.dataclass(frozen=True)
class LineItem:
    sku: str
    name: str
    quantity: int
    price: Decimal


@dataclasses.dataclass(frozen=True)
class OrderSummary:
    external_id: str
    number: str
    customer_email: str
    status: str  # one of commerce.models.OrderStatus
    total: Decimal
    currency: str
    placed_at: datetime
    line_items: tuple[LineItem, ...] = ()
    fulfillment_status: str = ""
    carrier: str = ""
    tracking_number: str = ""
    tracking_url: str = ""


class ConnectorError(Exception):
    """The platform could not be asked (network, credentials, rate limit)."""


class Connector:
    platform: ClassVar[str]

    def __init__(self, store):
        self.store = store

    def orders_for_customer(self, email: str) -> list[OrderSummary]:
        """The customer's orders, newest first."""
        raise NotImplementedError

    def order_by_number(self, number: str) -> OrderSummary | None:
        raise NotImplementedError
