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


class PayloadStatus(models.TextChoices):
    PENDING = "pending", "Pending"  # stored, not processed yet
    PROCESSED = "processed", "Processed"  # became (or matched) a message
    IGNORED = "ignored", "Ignored"  # deliberately not a conversation (auto-reply, bounce)
    FAILED = "failed", "Failed"  # could not be turned into a message; kept for an admin


class InboundPayload(models.Model):
    """A channel's raw input exactly as received, stored before it is acknowledged.

    Processing turns it into a message later (in a task); whatever happens, the bytes stay
    here, so nothing a customer sent is ever lost.
    """

    inbox = models.ForeignKey(Inbox, on_delete=models.CASCADE, related_name="payloads")
    received_at = models.DateTimeField(auto_now_add=True, db_index=True)
    raw = models.BinaryField()
    content_hash = models.CharField(max_length=64)
    envelope = models.JSONField(default=dict, blank=True)
    # Who the channel says sent it, once read (for per-sender limits and the admin view).
    sender = models.CharField(max_length=320, blank=True)
    status = models.CharField(
        max_length=10, choices=PayloadStatus.choices, default=PayloadStatus.PENDING
    )
    problems = models.JSONField(default=list, blank=True)
    error = models.TextField(blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    message = models.ForeignKey(
        "conversations.Message", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        indexes = [
            models.Index(fields=["status", "received_at"], name="payload_status"),
            models.Index(fields=["inbox", "sender", "received_at"], name="payload_sender"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["inbox", "content_hash"], name="uniq_payload_hash")
        ]

    def __str__(self) -> str:
        return f"{self.inbox_id}:{self.content_hash[:12]} ({self.status})"


class MailboxState(models.Model):
    """Where IMAP polling of an email inbox's mailbox stands, and how the last polls went.

    ``uidvalidity``/``last_uid`` are the position: every message up to ``last_uid`` of that
    UIDVALIDITY is stored as a payload. The lease (``claimed_at``/``lease_token``) is taken
    with an atomic UPDATE before polling, so two workers never poll one mailbox at once; a
    lease older than ``imap_services.LEASE`` is considered abandoned. Created on demand.
    """

    inbox = models.OneToOneField(Inbox, on_delete=models.CASCADE, related_name="mailbox_state")
    uidvalidity = models.BigIntegerField(null=True, blank=True)
    last_uid = models.BigIntegerField(default=0)
    last_polled_at = models.DateTimeField(null=True, blank=True)
    last_success_at = models.DateTimeField(null=True, blank=True)
    # A message for an admin (never a password or token); empty after a successful poll.
    last_error = models.TextField(blank=True)
    consecutive_failures = models.PositiveIntegerField(default=0)
    # Null: due now (never polled).
    next_poll_at = models.DateTimeField(null=True, blank=True, db_index=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    lease_token = models.CharField(max_length=32, blank=True)

    def __str__(self) -> str:
        return f"mailbox of inbox {self.inbox_id} (uid {self.last_uid})"


class ChatVisitor(models.Model):
    """Someone using a chat widget, known by an opaque token kept in their browser.

    Only a SHA-256 of the token is stored. ``key`` (random, never shown to anyone else) is
    the visitor's contact identity (``webchat``, key). A visitor reads only the conversation
    ``conversation`` points at.
    """

    inbox = models.ForeignKey(Inbox, on_delete=models.CASCADE, related_name="chat_visitors")
    key = models.CharField(max_length=32, unique=True)
    token_hash = models.CharField(max_length=64, unique=True)
    contact = models.ForeignKey(
        "contacts.Contact", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    conversation = models.ForeignKey(
        "conversations.Conversation",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="chat_visitors",
    )
    # From the pre-chat form: unverified, so never used to merge into another contact.
    name = models.CharField(max_length=200, blank=True)
    email = models.EmailField(max_length=254, blank=True)
    order_number = models.CharField(max_length=60, blank=True)
    locale = models.CharField(max_length=16, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_seen_at = models.DateTimeField()
    # Open chat windows (websockets) right now; with last_seen_at, whether they are here.
    open_connections = models.IntegerField(default=0)
    # The last message the visitor has seen (agents see "seen").
    seen_message_id = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"chat visitor {self.pk} of inbox {self.inbox_id}"
