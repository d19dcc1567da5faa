from django.conf import settings
from django.db import models

from storedesk.core.models import TimeStampedModel


class CannedReply(TimeStampedModel):
    """A saved answer agents insert into the composer. ``body`` may use variables such as
    ``{{ contact.first_name }}`` and ``{{ order.number }}`` (see ``routing.canned``)."""

    # Null: available in every store.
    store = models.ForeignKey(
        "stores.Store", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    title = models.CharField(max_length=120)
    body = models.TextField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["title", "id"]
        verbose_name_plural = "canned replies"

    def __str__(self) -> str:
        return self.title
