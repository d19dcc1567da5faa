from django.db import models
from django.utils.translation import gettext_lazy as _


class ConversationStatus(models.TextChoices):
    OPEN = "open", _("Open")  # waiting for the team
    PENDING = "pending", _("Pending")  # waiting for the customer or a third party
    SNOOZED = "snoozed", _("Snoozed")  # hidden until snoozed_until, then open again
    RESOLVED = "resolved", _("Resolved")  # done; a new customer message reopens it


class Priority(models.IntegerChoices):
    LOW = 0, _("Low")  # whenever there is time
    NORMAL = 1, _("Normal")  # default
    HIGH = 2, _("High")  # before normal work
    URGENT = 3, _("Urgent")  # drop everything


class MessageKind(models.TextChoices):
    INBOUND = "inbound", "Inbound"  # written by the customer
    OUTBOUND = "outbound", "Outbound"  # a reply to the customer (agent or assistant)
    NOTE = "note", "Internal note"  # visible to agents only
    SYSTEM = "system", "System"  # generated notice shown in the thread


class SenderType(models.TextChoices):
    CONTACT = "contact", "Contact"  # the customer
    AGENT = "agent", "Agent"  # a person on the team
    ASSISTANT = "assistant", "Assistant"  # the automated assistant
    SYSTEM = "system", "System"  # storedesk itself


class DeliveryStatus(models.TextChoices):
    RECEIVED = "received", "Received"  # inbound, stored
    QUEUED = "queued", "Queued"  # outbound, waiting for the delivery task
    SENT = "sent", "Sent"  # the channel accepted it
    FAILED = "failed", "Failed"  # the channel refused it; delivery_error says why
    NOT_APPLICABLE = "n/a", "Not applicable"  # notes and system messages


class ActivityKind(models.TextChoices):
    CREATED = "created", "Conversation created"
    STATUS = "status", "Status changed"
    ASSIGNED = "assigned", "Assignment changed"
    TAGGED = "tagged", "Tags changed"
    PRIORITY = "priority", "Priority changed"
    MERGED_CONTACT = "merged_contact", "Contact merged"
    DELIVERY_FAILED = "delivery_failed", "Delivery failed"
