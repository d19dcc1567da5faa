from django.conf import settings
from django.db import models

from storedesk.conversations.enums import (
    ActivityKind,
    ConversationStatus,
    DeliveryStatus,
    MessageKind,
    Priority,
    SenderType,
)
from storedesk.core.models import TimeStampedModel


class Tag(models.Model):
    store = models.ForeignKey("stores.Store", on_delete=models.CASCADE, related_name="tags")
    name = models.CharField(max_length=60)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["store", "name"], name="uniq_tag_per_store")]

    def __str__(self) -> str:
        return self.name

    @staticmethod
    def normalise(name: str) -> str:
        """Tag names are compared case-insensitively with inner white space collapsed."""
        return " ".join(name.split()).lower()[:60]


class Conversation(TimeStampedModel):
    """A thread with one contact through one inbox.

    The ``*_at`` fields and ``reopened_count`` are facts written by the services when things
    happen; reports read them instead of scanning messages.
    """

    store = models.ForeignKey("stores.Store", on_delete=models.CASCADE, related_name="+")
    inbox = models.ForeignKey("inboxes.Inbox", on_delete=models.PROTECT, related_name="+")
    contact = models.ForeignKey(
        "contacts.Contact", on_delete=models.PROTECT, related_name="conversations"
    )
    subject = models.CharField(max_length=300, blank=True)
    status = models.CharField(
        max_length=12, choices=ConversationStatus.choices, default=ConversationStatus.OPEN
    )
    priority = models.PositiveSmallIntegerField(choices=Priority.choices, default=Priority.NORMAL)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    team = models.ForeignKey(
        "accounts.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    tags = models.ManyToManyField(Tag, blank=True, related_name="conversations")
    language = models.CharField(max_length=16, blank=True)
    snoozed_until = models.DateTimeField(null=True, blank=True)
    first_response_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    reopened_count = models.PositiveIntegerField(default=0)
    last_customer_message_at = models.DateTimeField(null=True, blank=True)
    last_message_at = models.DateTimeField(null=True, blank=True)
    # When the customer started waiting for the team; null while the ball is with the customer.
    waiting_since = models.DateTimeField(null=True, blank=True)
    message_count = models.PositiveIntegerField(default=0)
    # The start of the latest customer-visible message, for inbox lists (no message scan).
    preview = models.CharField(max_length=200, blank=True)

    class Meta:
        indexes = [
            # Inbox lists: keyset pagination on (waiting_since, id) within a status.
            models.Index(fields=["status", "waiting_since", "id"], name="conv_status_waiting"),
            # The API's default list (every status, waiting longest first).
            models.Index(fields=["waiting_since", "id"], name="conv_waiting"),
            # Views sorted by newest within a status (walked backwards).
            models.Index(fields=["status", "created_at", "id"], name="conv_status_created"),
            # The inbox counts: one index-only scan over the active statuses.
            models.Index(
                fields=["status", "store", "inbox", "team", "assignee"], name="conv_counts"
            ),
            models.Index(fields=["store", "status", "waiting_since", "id"], name="conv_store_wait"),
            models.Index(fields=["assignee", "status", "waiting_since"], name="conv_assignee"),
            models.Index(fields=["contact", "inbox", "-id"], name="conv_contact_inbox"),
            # Analytics folds in the conversations changed since its last refresh.
            models.Index(fields=["updated_at", "id"], name="conv_updated"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.subject}"


class Message(models.Model):
    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="messages"
    )
    # Denormalised for store-scoped queries without a join.
    store = models.ForeignKey("stores.Store", on_delete=models.CASCADE, related_name="+")
    inbox = models.ForeignKey("inboxes.Inbox", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=10, choices=MessageKind.choices)
    sender_type = models.CharField(max_length=10, choices=SenderType.choices)
    sender_contact = models.ForeignKey(
        "contacts.Contact", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    sender_agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    text = models.TextField(blank=True)
    # Already sanitised with nh3 (storedesk.core.html.sanitize_html) when stored.
    html = models.TextField(blank=True)
    # The channel's id for the message (email Message-ID, provider message id, ...).
    external_id = models.CharField(max_length=500, null=True, blank=True)
    # The client's idempotency key for messages created through the API or the widget.
    client_key = models.CharField(max_length=100, null=True, blank=True)
    delivery_status = models.CharField(max_length=10, choices=DeliveryStatus.choices)
    delivery_error = models.TextField(blank=True)
    delivery_attempts = models.PositiveSmallIntegerField(default=0)
    # Set while a worker is delivering; a claim older than the lease is considered abandoned.
    delivery_claimed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(db_index=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["inbox", "external_id"], name="uniq_message_external_id_per_inbox"
            ),
            models.UniqueConstraint(
                fields=["conversation", "client_key"], name="uniq_message_client_key"
            ),
        ]
        indexes = [
            models.Index(fields=["conversation", "id"], name="msg_conversation"),
            models.Index(fields=["delivery_status", "created_at"], name="msg_delivery"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} message {self.pk}"


def attachment_upload_path(instance: "Attachment", filename: str) -> str:
    # The stored name never contains customer-chosen text: only the store and a random token.
    return f"attachments/{instance.store_id}/{instance.storage_token}"


class Attachment(models.Model):
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="attachments")
    store = models.ForeignKey("stores.Store", on_delete=models.CASCADE, related_name="+")
    storage_token = models.CharField(max_length=64, unique=True)
    file = models.FileField(upload_to=attachment_upload_path, max_length=200)
    filename = models.CharField(max_length=255)
    content_type = models.CharField(max_length=120)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    # Inline parts (e.g. email cid: images) carry their Content-ID.
    content_id = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.filename


class ActivityEvent(models.Model):
    """One entry of a conversation's timeline (who changed what, when)."""

    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="activity"
    )
    kind = models.CharField(max_length=20, choices=ActivityKind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.kind} on #{self.conversation_id}"
