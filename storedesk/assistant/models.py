"""What the assistant did in each conversation: the facts analytics reads (handled, resolved
without a person, handoff reason, answers helpful or not) and the state it needs between
two customer messages (what it asked, how often it was unsure)."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from storedesk.core.models import TimeStampedModel


class SessionState(models.TextChoices):
    ACTIVE = "active", _("Answering")  # the assistant answers the customer's messages
    RESOLVED = "resolved", _("Resolved by the assistant")  # the customer said it answered
    HANDED_OFF = "handed_off", _("Handed off to a person")  # a person takes it from here
    TAKEN_OVER = "taken_over", _("Taken over by an agent")  # an agent replied on their own


class Awaiting(models.TextChoices):
    NOTHING = "", _("Nothing")
    FEEDBACK = "feedback", _("Whether the answer helped")
    ORDER = "order", _("An order number and email address")


class HandoffReason(models.TextChoices):
    ASKED_FOR_PERSON = "asked_for_person", _("The customer asked for a person")
    UNSURE = "unsure", _("The assistant did not understand twice")
    COMPLAINT = "complaint", _("A complaint")
    NEGATIVE = "negative", _("Strong negative sentiment")
    HUMAN_ONLY = "human_only", _("An intent the shop has people handle")
    NOT_HELPFUL = "not_helpful", _("The answer did not help")
    IDENTITY = "identity", _("The customer's identity could not be verified")
    ORDER_CHANGE = "order_change", _("An order change to be made by a person")


class AssistantSession(TimeStampedModel):
    """The assistant's part in one conversation (created on its first reply)."""

    conversation = models.OneToOneField(
        "conversations.Conversation", on_delete=models.CASCADE, related_name="assistant_session"
    )
    # Denormalised for store-scoped reports without a join.
    store = models.ForeignKey("stores.Store", on_delete=models.CASCADE, related_name="+")
    state = models.CharField(
        max_length=12, choices=SessionState.choices, default=SessionState.ACTIVE
    )
    language = models.CharField(max_length=16, blank=True)
    last_intent = models.CharField(max_length=40, blank=True)
    # The intent the customer came with, kept across follow-ups (e.g. an order number).
    pending_intent = models.CharField(max_length=40, blank=True)
    awaiting = models.CharField(max_length=10, choices=Awaiting.choices, blank=True)
    # Messages in a row the assistant could not answer; two hand off.
    unsure_count = models.PositiveSmallIntegerField(default=0)
    # What the customer gave so far to find their order (unverified until they match).
    claimed_order_number = models.CharField(max_length=60, blank=True)
    claimed_email = models.CharField(max_length=254, blank=True)
    # Order lookups whose number and email did not match; two hand off.
    identity_failures = models.PositiveSmallIntegerField(default=0)
    verified_order = models.ForeignKey(
        "commerce.Order", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # What the assistant tried, in order: [{"step": ..., ...}] (shown in the handoff note).
    tried = models.JSONField(default=list, blank=True)
    reply_count = models.PositiveIntegerField(default=0)
    handoff_reason = models.CharField(max_length=20, choices=HandoffReason.choices, blank=True)
    handed_off_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["store", "created_at"], name="assistant_store_created")]

    def __str__(self) -> str:
        return f"assistant in #{self.conversation_id} ({self.state})"


class AssistantAnswer(models.Model):
    """One answer from the help center the assistant gave, and whether it helped."""

    session = models.ForeignKey(AssistantSession, on_delete=models.CASCADE, related_name="answers")
    message = models.OneToOneField(
        "conversations.Message", on_delete=models.CASCADE, related_name="assistant_answer"
    )
    article = models.ForeignKey(
        "helpcenter.Article", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    locale = models.CharField(max_length=16, blank=True)
    url = models.CharField(max_length=500, blank=True)
    title = models.CharField(max_length=300, blank=True)
    intent = models.CharField(max_length=40, blank=True)
    score = models.FloatField(null=True, blank=True)
    # None until the customer answers "Did this answer your question?".
    helpful = models.BooleanField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    answered_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"answer {self.pk} ({self.title})"


class IntentAction(models.TextChoices):
    ANSWER = "answer", _("Answer with the shop's text")
    HANDOFF = "handoff", _("Hand over to a person")
    BUILT_IN = "built_in", _("As built in (more examples only)")


class ShopIntent(TimeStampedModel):
    """A request a shop's customers make that the assistant should recognise: the shop's
    own (e.g. "wholesale", "store_hours") or a built-in intent it adds examples to.
    The store's intent model is trained on the bundled examples plus these."""

    store = models.ForeignKey("stores.Store", on_delete=models.CASCADE, related_name="+")
    name = models.SlugField(max_length=40)
    description = models.CharField(max_length=300, blank=True)
    action = models.CharField(max_length=10, choices=IntentAction.choices)
    # The answer by locale ("en", "hr", "zh-hans"), for action "answer".
    answers = models.JSONField(default=dict, blank=True)
    # Example messages, one per line.
    examples = models.TextField()
    created_by = models.ForeignKey(
        "accounts.Agent", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["store_id", "name"]
        constraints = [
            models.UniqueConstraint(fields=["store", "name"], name="uniq_shop_intent_name")
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def example_lines(self) -> list[str]:
        return [line.strip() for line in self.examples.splitlines() if line.strip()]
