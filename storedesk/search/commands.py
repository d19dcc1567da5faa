"""``storedesk search reindex`` (Django is set up by the caller)."""

from __future__ import annotations

import sys
import time


def reindex_command(
    *, store_slug: str | None = None, kinds=("article", "message", "contact")
) -> int:
    """Rebuild the search index of every store (or one), showing progress on stderr."""
    from storedesk.search.indexing import document_remove
    from storedesk.search.models import DocumentKind, SearchDocument
    from storedesk.stores.models import Store

    stores = Store.objects.all()
    if store_slug:
        stores = stores.filter(slug=store_slug)
        if not stores.exists():
            print(f"error: no store {store_slug!r}", file=sys.stderr)
            return 2
    store_ids = list(stores.values_list("id", flat=True))
    if "article" in kinds:
        from storedesk.helpcenter.indexing import article_reindex
        from storedesk.helpcenter.models import Article

        article_ids = _ids(Article, store_ids)
        # Documents of articles deleted meanwhile.
        orphans = SearchDocument.objects.filter(
            kind=DocumentKind.ARTICLE, store_id__in=store_ids
        ).exclude(parent_id__in=article_ids)
        document_remove(
            kind=DocumentKind.ARTICLE, object_ids=list(orphans.values_list("object_id", flat=True))
        )
        _run(
            "articles",
            article_ids,
            lambda batch: sum(article_reindex(article_id=i) for i in batch),
            "published translations indexed",
            batch_size=1,
        )
    if "message" in kinds:
        from storedesk.conversations.models import Message
        from storedesk.conversations.search_index import messages_reindex

        _run(
            "messages",
            _ids(Message, store_ids),
            lambda batch: messages_reindex(message_ids=batch),
            "messages with text indexed",
        )
    if "contact" in kinds:
        from storedesk.contacts.models import Contact
        from storedesk.contacts.search_index import contacts_reindex

        _run(
            "contacts",
            _ids(Contact, store_ids),
            lambda batch: contacts_reindex(contact_ids=batch),
            "contacts indexed",
        )
    return 0


def _ids(model, store_ids) -> list[int]:
    return list(
        model.objects.filter(store_id__in=store_ids).order_by("id").values_list("id", flat=True)
    )


def _run(label: str, ids: list[int], index_batch, done: str, batch_size: int = 500) -> None:
    """Index ``ids`` in batches (``index_batch`` returns how many it indexed), with progress."""
    progress = Progress(label, len(ids))
    indexed = 0
    for start in range(0, len(ids), batch_size):
        batch = ids[start : start + batch_size]
        indexed += index_batch(batch)
        for _ in batch:
            progress.step()
    progress.done(f"{indexed} {done}")


class Progress:
    """A one-line progress bar on stderr (plain lines when stderr is not a terminal)."""

    WIDTH = 30

    def __init__(self, label: str, total: int):
        self.label, self.total, self.count = label, total, 0
        self.started = time.monotonic()
        self.tty = sys.stderr.isatty()
        self._last = 0.0

    def step(self) -> None:
        self.count += 1
        now = time.monotonic()
        if self.tty and (now - self._last > 0.1 or self.count == self.total):
            self._last = now
            filled = int(self.WIDTH * self.count / max(self.total, 1))
            bar = "#" * filled + "-" * (self.WIDTH - filled)
            print(f"\r{self.label} [{bar}] {self.count}/{self.total}", end="", file=sys.stderr)
        elif not self.tty and self.count % 1000 == 0:
            print(f"{self.label}: {self.count}/{self.total}", file=sys.stderr)

    def done(self, message: str) -> None:
        seconds = time.monotonic() - self.started
        if self.tty:
            print(file=sys.stderr)
        print(f"{self.label}: {self.count} in {seconds:.1f} s; {message}", file=sys.stderr)
