import secrets

from django.db import models

from storedesk.core.models import TimeStampedModel


def new_public_token() -> str:
    return secrets.token_urlsafe(24)


class Inbox(TimeStampedModel):
    """A channel endpoint of one store (an email address, a chat widget, a web form, ...).

    ``kind`` selects the adapter in ``storedesk.inboxes.adapters.REGISTRY``; ``config`` is
    validated by that adapter's schema in ``inbox_create``/``inbox_update``.
    """

    store = models.ForeignKey("stores.Store", on_delete=models.CASCADE, related_name="inboxes")
    kind = models.CharField(max_length=30)
    name = models.CharField(max_length=120)
    config = models.JSONField(default=dict, blank=True)
    # Identifies the inbox to the public (form, widget) without revealing its id; rotatable.
    public_token = models.CharField(max_length=64, unique=True, default=new_public_token)
    # A customer who writes again within this many days of a resolved conversation reopens it;
    # later, a new conversation starts. 0 means always start a new one after resolution.
    reopen_window_days = models.PositiveIntegerField(default=7)
    default_team = models.ForeignKey(
        "accounts.Team", null=True, blank=True, on_delete=models.SET_NULL
    )
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["store_id", "name"]
        verbose_name_plural = "inboxes"

    def __str__(self) -> str:
        return f"{self.name} ({self.kind})"
