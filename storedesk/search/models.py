"""The search index: one row per searchable thing (an article translation, a message, a
contact), holding its analyzed terms and, when an embedder is on, passage vectors.

The lexical index over the terms is not a Django field: SQLite keeps an FTS5 table in step
through triggers, PostgreSQL a generated ``tsvector`` column with a GIN index (both created
by this app's migrations). Rows are written only by ``storedesk.search.indexing``.
"""

from django.db import models
from django.utils import timezone


class DocumentKind(models.TextChoices):
    ARTICLE = "article"  # one published translation of a help-center article
    MESSAGE = "message"
    CONTACT = "contact"


class SearchDocument(models.Model):
    store = models.ForeignKey("stores.Store", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=10, choices=DocumentKind.choices)
    object_id = models.BigIntegerField()
    # What the result opens: the article for a translation, the conversation for a message.
    parent_id = models.BigIntegerField(null=True, blank=True)
    locale = models.CharField(max_length=16, blank=True)
    analyzer = models.CharField(max_length=16)
    # Readers may see it (a published translation of a public article); agents see all.
    public = models.BooleanField(default=False)
    # Space-separated analyzed terms (storedesk.search.analyzers), the title weighing more.
    title_terms = models.TextField(blank=True)
    body_terms = models.TextField(blank=True)
    term_count = models.PositiveIntegerField(default=0)
    # The title embedded as a question (float32, normalised; empty without an embedder):
    # readers' questions resemble titles more than they resemble body text.
    title_vector = models.BinaryField(blank=True, default=b"")
    created_at = models.DateTimeField(default=timezone.now)
    indexed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["kind", "object_id"], name="search_one_per_object")
        ]
        indexes = [
            models.Index(fields=["store", "kind", "locale"], name="search_scope"),
            models.Index(fields=["kind", "parent_id"], name="search_parent"),
            # A store's newest messages (the embedding run's window), walked backwards.
            models.Index(fields=["store", "kind", "id"], name="search_store_newest"),
        ]

    def __str__(self):
        return f"{self.kind} {self.object_id}"


class PassageRole(models.TextChoices):
    SECTION = "section"  # part of the document's text: matched and quoted
    QUESTION = "question"  # a question the document answers: matched, never quoted


class SearchPassage(models.Model):
    """A passage of a document (an article section, a message) with its embedding, for
    semantic match and for quoting the relevant part in an answer; or a question the
    document is known to answer (written by an agent or learned from readers' clicks),
    embedded as a query."""

    document = models.ForeignKey(SearchDocument, on_delete=models.CASCADE, related_name="passages")
    store = models.ForeignKey("stores.Store", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=10, choices=DocumentKind.choices)
    role = models.CharField(max_length=10, choices=PassageRole.choices, default=PassageRole.SECTION)
    position = models.PositiveIntegerField(default=0)
    heading = models.CharField(max_length=300, blank=True)
    text = models.TextField()
    # float32 little-endian, normalised; empty when no embedder was configured.
    vector = models.BinaryField(blank=True, default=b"")
    embedder = models.CharField(max_length=80, blank=True)

    class Meta:
        ordering = ["document_id", "position"]
        # The id last: a search reads a store's passages added since its last look
        # (search.vectors) without walking other stores' newer rows.
        indexes = [models.Index(fields=["store", "kind", "id"], name="search_passage_newest")]

    def __str__(self):
        return f"{self.kind} {self.document_id} #{self.position}"
