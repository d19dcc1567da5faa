from django.conf import settings
from django.db import models

from storedesk.core.models import TimeStampedModel


class Contact(TimeStampedModel):
    """A customer of one store. ``email``/``phone`` are the primary ones; every address a
    customer was seen with is a :class:`ContactIdentity`."""

    store = models.ForeignKey("stores.Store", on_delete=models.CASCADE, related_name="contacts")
    name = models.CharField(max_length=200, blank=True)
    email = models.EmailField(max_length=254, blank=True, db_index=True)
    phone = models.CharField(max_length=40, blank=True)
    locale = models.CharField(max_length=16, blank=True)
    dedicated_agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="dedicated_contacts",
    )
    notes = models.TextField(blank=True)
    attributes = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return self.name or self.email or self.phone or f"Contact {self.pk}"

    @property
    def first_name(self) -> str:
        return self.name.split()[0] if self.name.strip() else ""


class IdentityKind(models.TextChoices):
    EMAIL = "email", "Email address"  # lower-cased address
    PHONE = "phone", "Phone number"  # E.164 where known
    API = "api", "API client id"  # id chosen by the integrating system
    WEBCHAT = "webchat", "Chat visitor"  # opaque visitor token id
    SOCIAL = "social", "Social account"  # "<network>:<user id>"


class ContactIdentity(models.Model):
    """How a channel knows a contact: (kind, external_id), unique within a store."""

    store = models.ForeignKey("stores.Store", on_delete=models.CASCADE)
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="identities")
    kind = models.CharField(max_length=20, choices=IdentityKind.choices)
    external_id = models.CharField(max_length=320)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["store", "kind", "external_id"], name="uniq_identity_per_store"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind}:{self.external_id}"
