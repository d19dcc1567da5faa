"""The facts and rollups reports read.

``ConversationFact`` is one row per conversation with what analytics needs already worked
out (durations in calendar and business seconds, local days and hours in the store's time
zone, message counts, the assistant's part). ``DailyRollup``, ``TagDailyRollup``,
``IssueDailyRollup`` and ``AgentHourRollup`` sum facts per local day and dimension, so a
report over any range adds up rollup rows, never reading messages.
Rows are written only by ``storedesk.analytics.services``; every row can be rebuilt from
conversations and messages.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ConversationFact(models.Model):
    conversation = models.OneToOneField(
        "conversations.Conversation",
        primary_key=True,
        on_delete=models.CASCADE,
        related_name="fact",
    )
    store = models.ForeignKey("stores.Store", on_delete=models.CASCADE, related_name="+")
    inbox = models.ForeignKey("inboxes.Inbox", on_delete=models.CASCADE, related_name="+")
    # The inbox's kind ("email", "webchat", ...), so channel filters need no join.
    channel = models.CharField(max_length=20)
    # Indexed by ``fact_contact`` (contact first).
    contact = models.ForeignKey(
        "contacts.Contact", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    team = models.ForeignKey(
        "accounts.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The current assignee: reports attribute a conversation to who owns it now.
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    language = models.CharField(max_length=16, blank=True)
    status = models.CharField(max_length=12)

    created_at = models.DateTimeField()
    # Local calendar day and hour (0-23) in the store's time zone.
    created_day = models.DateField()
    created_hour = models.PositiveSmallIntegerField()

    first_response_at = models.DateTimeField(null=True, blank=True)
    first_response_day = models.DateField(null=True, blank=True)
    first_response_seconds = models.PositiveIntegerField(null=True, blank=True)
    first_response_business_seconds = models.PositiveIntegerField(null=True, blank=True)
    # The histogram buckets of the two durations (storedesk.analytics.buckets): reports
    # count facts per bucket in the database to get medians and percentiles.
    first_response_bucket = models.PositiveSmallIntegerField(null=True, blank=True)
    first_response_business_bucket = models.PositiveSmallIntegerField(null=True, blank=True)
    # Who sent the first reply (not necessarily the assignee).
    first_responder = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    # The latest resolution (a reopened conversation counts when it is resolved again).
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_day = models.DateField(null=True, blank=True)
    resolution_seconds = models.PositiveIntegerField(null=True, blank=True)
    resolution_business_seconds = models.PositiveIntegerField(null=True, blank=True)
    resolution_bucket = models.PositiveSmallIntegerField(null=True, blank=True)
    resolution_business_bucket = models.PositiveSmallIntegerField(null=True, blank=True)
    reopened_count = models.PositiveIntegerField(default=0)

    messages_in = models.PositiveIntegerField(default=0)
    # Replies written by people (the assistant's are counted apart).
    agent_replies = models.PositiveIntegerField(default=0)
    assistant_replies = models.PositiveIntegerField(default=0)
    last_message_at = models.DateTimeField(null=True, blank=True)
    last_message_day = models.DateField(null=True, blank=True)

    # The assistant's part: its session state ("" when it never answered) and why it
    # handed off; the intent it read from the customer.
    assistant_state = models.CharField(max_length=12, blank=True)
    handoff_reason = models.CharField(max_length=20, blank=True)
    intent = models.CharField(max_length=40, blank=True)
    complaint = models.BooleanField(default=False)
    negative = models.BooleanField(default=False)
    # The assistant's help-center answers the customer rated ("Did this answer your
    # question?"), and how many of them helped.
    answers_rated = models.PositiveSmallIntegerField(default=0)
    answers_helpful = models.PositiveSmallIntegerField(default=0)

    refreshed_at = models.DateTimeField()

    class Meta:
        indexes = [
            # Day first: a report reads a range of days of one store or of every store. The
            # duration indexes also hold what the dashboard groups by, so PostgreSQL counts
            # a period's buckets per agent and team from the index alone.
            models.Index(fields=["created_day", "store"], name="fact_created"),
            models.Index(
                fields=[
                    "first_response_day",
                    "store",
                    "agent",
                    "team",
                    "first_response_bucket",
                    "first_response_business_bucket",
                ],
                name="fact_first_response",
            ),
            models.Index(
                fields=[
                    "resolved_day",
                    "store",
                    "agent",
                    "team",
                    "resolution_bucket",
                    "resolution_business_bucket",
                ],
                name="fact_resolved",
            ),
            # A contact's conversations resolved since a moment: the earlier conversations
            # a new one may repeat (reading only those, not every one of a frequent writer).
            models.Index(fields=["contact", "resolved_at"], name="fact_contact"),
            # Conversations still waiting for a signal, newest first.
            models.Index(fields=["created_at"], name="fact_created_at"),
        ]

    def __str__(self) -> str:
        return f"facts of #{self.conversation_id}"


class RollupDimensions(models.Model):
    """The dimensions every rollup row is keyed by (besides its day)."""

    store = models.ForeignKey("stores.Store", on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    inbox = models.ForeignKey("inboxes.Inbox", on_delete=models.CASCADE, related_name="+")
    channel = models.CharField(max_length=20)
    team_id = models.BigIntegerField(null=True, blank=True)
    agent_id = models.BigIntegerField(null=True, blank=True)
    language = models.CharField(max_length=16, blank=True)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{type(self).__name__} {self.store_id} {self.day}"


class DailyCounts(RollupDimensions):
    """What a daily rollup counts (the fields of ``totals.COUNTS``) and its distributions.

    Each measure belongs to the day its event happened: ``created`` to the day the
    conversation started, first responses to the day of the first reply, resolutions to
    the day of the (latest) resolution. Durations are summed (for means) and kept as
    histograms (for medians and percentiles).
    """

    created = models.PositiveIntegerField(default=0)
    # Of the conversations created that day, how many are resolved now.
    created_resolved = models.PositiveIntegerField(default=0)
    messages_in = models.PositiveIntegerField(default=0)
    agent_replies = models.PositiveIntegerField(default=0)
    assistant_replies = models.PositiveIntegerField(default=0)

    first_responses = models.PositiveIntegerField(default=0)
    first_response_seconds = models.BigIntegerField(default=0)
    first_response_business_seconds = models.BigIntegerField(default=0)

    resolved = models.PositiveIntegerField(default=0)
    resolution_seconds = models.BigIntegerField(default=0)
    resolution_business_seconds = models.BigIntegerField(default=0)
    # Of those resolved that day: reopened at least once, and answered by one reply.
    resolved_reopened = models.PositiveIntegerField(default=0)
    one_touch = models.PositiveIntegerField(default=0)

    # Conversations created that day that the assistant answered, and resolved on its own.
    assistant_handled = models.PositiveIntegerField(default=0)
    assistant_resolved = models.PositiveIntegerField(default=0)
    complaints = models.PositiveIntegerField(default=0)
    negative = models.PositiveIntegerField(default=0)
    answers_rated = models.PositiveIntegerField(default=0)
    answers_helpful = models.PositiveIntegerField(default=0)
    # The distributions of what is counted here, packed by ``totals.pack_distributions``:
    # the four duration histograms (on the day of the first response or the resolution, like
    # their counts) and the handoff reasons (on the day the conversation started), so a
    # report adds up one row per day and dimensions instead of counting every fact of the
    # period. Binary rather than JSON: a month of rows is unpacked and summed with numpy in
    # a few milliseconds, where decoding JSON took half a second. Null in daily rows of an
    # earlier ``ROLLUP_FORMAT``; the refresh rebuilds those store-days.
    distributions = models.BinaryField(null=True, blank=True)

    class Meta:
        abstract = True


class DailyRollup(DailyCounts):
    """Per local day and dimensions: what happened that day (messages on the day they were
    written)."""

    class Meta:
        # The counts the backlog adds up over every earlier day ride in the index, so
        # PostgreSQL sums them without reading the rows.
        indexes = [
            models.Index(
                fields=["day", "store"], name="rollup_daily", include=["created", "resolved"]
            )
        ]


class TagDailyRollup(DailyCounts):
    """Per local day, dimensions and tag: what happened that day to the conversations with
    the tag, so a report filtered by a tag adds up rollups too. Messages count on the day
    the conversation started (as ``ConversationFact`` keeps them)."""

    tag = models.ForeignKey("conversations.Tag", on_delete=models.CASCADE, related_name="+")

    class Meta:
        indexes = [
            models.Index(
                fields=["tag", "day"], name="rollup_tag_daily", include=["created", "resolved"]
            ),
            # The refresh replaces a store-day's rows.
            models.Index(fields=["day", "store"], name="rollup_tag_store_day"),
        ]


class AgentHourRollup(models.Model):
    """Replies each agent wrote per local day and hour: who covered which hours."""

    store = models.ForeignKey("stores.Store", on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    hour = models.PositiveSmallIntegerField()
    weekday = models.PositiveSmallIntegerField()
    agent_id = models.BigIntegerField()
    replies = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["store", "day"], name="rollup_agent_hour")]

    def __str__(self) -> str:
        return f"agent {self.agent_id} on {self.day} at {self.hour}h"


class IssueKind(models.TextChoices):
    TOPIC = "topic"  # key: the topic's id
    INTENT = "intent"  # key: the intent the first message was read as
    TAG = "tag"  # key: the tag's id
    REPEAT = "repeat"  # key: the repeat's reason (``RepeatReason``)


class IssueDailyRollup(models.Model):
    """What the conversations started on a local day were about: per topic, intent and tag,
    and the repeat contacts among them per reason and whole days after the earlier
    resolution (so any window of 1 to ``MAX_REPEAT_DAYS`` days adds up), each with how many
    were complaints and strongly negative.

    Keyed by the customer's side only (inbox, channel, language): with the team, the agent
    and the key there would be about as many rows as conversations. Reports filtered by a
    team or an agent count these from the facts instead. Rows without a ``tag`` count every
    conversation; rows with one count again those that have the tag, for reports filtered
    by it.
    """

    store = models.ForeignKey("stores.Store", on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    inbox = models.ForeignKey("inboxes.Inbox", on_delete=models.CASCADE, related_name="+")
    channel = models.CharField(max_length=20)
    language = models.CharField(max_length=16, blank=True)
    tag = models.ForeignKey(
        "conversations.Tag", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    kind = models.CharField(max_length=8, choices=IssueKind.choices)
    key = models.CharField(max_length=60)
    # Repeats only: the earlier resolution was at most this many days (rounded up) before
    # the conversation started; 0 for the other kinds.
    repeat_days = models.PositiveSmallIntegerField(default=0)
    conversations = models.PositiveIntegerField(default=0)
    complaints = models.PositiveIntegerField(default=0)
    negative = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [
            models.Index(fields=["day", "store"], name="rollup_issue_daily"),
            models.Index(fields=["tag", "day"], name="rollup_issue_tag"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.key} on {self.day}"


# The rollups' format: 1 keeps distributions (``DailyCounts.distributions``), 2 adds
# ``TagDailyRollup``, 3 ``IssueDailyRollup``. Reports read distributions, tags and issues
# from rollups once ``RefreshState.rollup_format`` says every store-day was written in this
# format.
ROLLUP_FORMAT = 3


class RefreshState(models.Model):
    """Where the incremental refresh has got to (a single row)."""

    # Conversations changed after this were not yet folded into facts and rollups.
    watermark = models.DateTimeField(null=True, blank=True)
    refreshed_at = models.DateTimeField(null=True, blank=True)
    last_duration_ms = models.PositiveIntegerField(default=0)
    last_conversations = models.PositiveIntegerField(default=0)
    # Goes up by one with every refresh that changed facts, rollups or topics: reports
    # computed at the same version are the same (see ``analytics.dashboard``).
    version = models.PositiveBigIntegerField(default=0)
    # Held while a refresh runs, so two workers never fold the same changes at once.
    lease_until = models.DateTimeField(null=True, blank=True)
    lease_token = models.CharField(max_length=32, blank=True)
    # ``ROLLUP_FORMAT`` once every rollup row has been written in it (0: some were written
    # by an earlier version and are being rebuilt; reports count from the facts meanwhile).
    rollup_format = models.PositiveSmallIntegerField(default=0)

    def __str__(self) -> str:
        return f"analytics refreshed at {self.refreshed_at}"


class ConversationSignal(models.Model):
    """What a conversation's first customer message is about: its embedding, intent,
    sentiment and words. Repeat contacts and topics are decided from these; computed in
    the background for conversations of the last ``SIGNAL_DAYS`` days."""

    conversation = models.OneToOneField(
        "conversations.Conversation",
        primary_key=True,
        on_delete=models.CASCADE,
        related_name="analytics_signal",
    )
    store = models.ForeignKey("stores.Store", on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField()
    # The store locale the words were analyzed in.
    locale = models.CharField(max_length=16, blank=True)
    # The beginning of the message (topic labels quote its words).
    text = models.CharField(max_length=500, blank=True)
    # Analyzed terms, space-separated (stems; see storedesk.search.analyzers).
    terms = models.TextField(blank=True)
    # float32, normalised, as the search engine embeds a question; empty without an embedder.
    vector = models.BinaryField(blank=True, default=b"")
    intent = models.CharField(max_length=40, blank=True)
    intent_confidence = models.FloatField(null=True, blank=True)
    negative = models.BooleanField(default=False)
    computed_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["store", "created_at"], name="signal_store_created")]

    def __str__(self) -> str:
        return f"signal of #{self.conversation_id}"


class RepeatReason(models.TextChoices):
    INTENT = "intent", _("The same request")  # both read as the same intent
    TAG = "tag", _("A shared tag")  # the team tagged both alike
    TEXT = "text", _("Similar words")  # the first messages say much the same


class RepeatContact(models.Model):
    """A customer back with what looks like the same issue: ``conversation`` started within
    ``MAX_REPEAT_DAYS`` of the resolution of ``earlier`` (same contact, any channel)."""

    conversation = models.OneToOneField(
        "conversations.Conversation",
        primary_key=True,
        on_delete=models.CASCADE,
        related_name="repeat_link",
    )
    earlier = models.ForeignKey(
        "conversations.Conversation", on_delete=models.CASCADE, related_name="repeated_by"
    )
    store = models.ForeignKey("stores.Store", on_delete=models.CASCADE, related_name="+")
    # When this conversation started (and its local day), so the newest repeats of a
    # period are read from an index without joining the facts.
    created_at = models.DateTimeField()
    created_day = models.DateField()
    # From the earlier conversation's resolution to this one's start.
    seconds_after = models.PositiveIntegerField()
    reason = models.CharField(max_length=10, choices=RepeatReason.choices)
    # The intent or tag shared, for the reader.
    detail = models.CharField(max_length=60, blank=True)
    similarity = models.FloatField(null=True, blank=True)
    detected_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["created_at"], name="repeat_created")]

    def __str__(self) -> str:
        return f"#{self.conversation_id} repeats #{self.earlier_id}"


class Topic(models.Model):
    """A group of conversations about the same thing, found by clustering their first
    messages' embeddings; labelled by its most telling words in the store's language."""

    store = models.ForeignKey("stores.Store", on_delete=models.CASCADE, related_name="+")
    label = models.CharField(max_length=200)
    terms = models.JSONField(default=list)
    # The normalised mean of its members' vectors (float32): new conversations join the
    # nearest topic until the next clustering.
    centroid = models.BinaryField()
    size = models.PositiveIntegerField(default=0)
    # The intent most of its members were read as ("" when none stands out).
    intent = models.CharField(max_length=40, blank=True)
    # How many conversations the clustering that made it had (the same for a store's topics).
    clustered_from = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-size", "id"]

    def __str__(self) -> str:
        return self.label


class ConversationTopic(models.Model):
    conversation = models.OneToOneField(
        "conversations.Conversation",
        primary_key=True,
        on_delete=models.CASCADE,
        related_name="topic_link",
    )
    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="links")
    store = models.ForeignKey("stores.Store", on_delete=models.CASCADE, related_name="+")
    similarity = models.FloatField()

    def __str__(self) -> str:
        return f"#{self.conversation_id} in {self.topic_id}"
