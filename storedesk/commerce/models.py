from django.db import models

from storedesk.core.models import TimeStampedModel


class OrderStatus(models.TextChoices):
    PENDING = "pending", "Pending payment"  # placed, not paid yet
    PAID = "paid", "Paid"  # paid, not shipped
    SHIPPED = "shipped", "Shipped"  # handed to the carrier
    DELIVERED = "delivered", "Delivered"  # carrier confirmed delivery
    CANCELLED = "cancelled", "Cancelled"  # cancelled before shipping
    REFUNDED = "refunded", "Refunded"  # money returned (fully or partly)


class Order(TimeStampedModel):
    """A snapshot of a shop order, refreshed from the store's connector."""

    store = models.ForeignKey("stores.Store", on_delete=models.CASCADE, related_name="orders")
    contact = models.ForeignKey(
        "contacts.Contact", null=True, blank=True, on_delete=models.SET_NULL, related_name="orders"
    )
    external_id = models.CharField(max_length=100)
    number = models.CharField(max_length=60, db_index=True)
    customer_email = models.EmailField(max_length=254, blank=True, db_index=True)
    status = models.CharField(max_length=20, choices=OrderStatus.choices)
    total = models.DecimalField(max_digits=12, decimal_places=2)
    currency = models.CharField(max_length=3)
    line_items = models.JSONField(default=list, blank=True)
    placed_at = models.DateTimeField()
    fulfillment_status = models.CharField(max_length=40, blank=True)
    carrier = models.CharField(max_length=60, blank=True)
    tracking_number = models.CharField(max_length=100, blank=True)
    tracking_url = models.URLField(max_length=500, blank=True)

    class Meta:
        ordering = ["-placed_at"]
        constraints = [
            models.UniqueConstraint(fields=["store", "external_id"], name="uniq_order_per_store")
        ]

    def __str__(self) -> str:
        return f"#{self.number}"
