"""``storedesk helpcenter import`` and ``storedesk helpcenter search`` (Django is set up by
the caller)."""

from __future__ import annotations

import json
import sys
from pathlib import Path


def _inline_tasks() -> None:
    # A command does its indexing itself, so a search right after an import finds the
    # articles without a worker running.
    from huey.contrib.djhuey import HUEY

    HUEY.immediate = True


def import_command(path: str, store_slug: str, *, draft: bool = False) -> int:
    """Exit status 0 when every item was saved, 1 when some were skipped, 2 when the file
    cannot be read."""
    from storedesk.core.errors import ValidationError
    from storedesk.helpcenter.services import articles_import

    try:
        items = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        print(f"error: cannot read {path}: {exc}", file=sys.stderr)
        return 2
    _inline_tasks()
    try:
        summary = articles_import(store_slug=store_slug, items=items, publish=not draft)
    except ValidationError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 2
    created = " (store created)" if summary.store_created else ""
    print(
        f"{store_slug}{created}: {summary.translations_saved} translations saved, "
        f"{summary.articles_created} new articles, {summary.categories_created} new categories"
    )
    for error in summary.errors:
        print(f"skipped {error}", file=sys.stderr)
    return 1 if summary.errors else 0


def search_command(
    query: str, store_slug: str, *, locale=None, as_json=False, limit=10, mode="fused"
) -> int:
    from storedesk.helpcenter.search import search_articles
    from storedesk.stores.models import Store

    store = Store.objects.filter(slug=store_slug).first()
    if store is None:
        print(f"error: no store {store_slug!r}", file=sys.stderr)
        return 2
    hits = search_articles(
        store, query, locale=locale, limit=limit, mode=mode, include_internal=False
    )
    rows = [
        {
            "slug": hit.article.key,
            "title": hit.translation.title,
            "locale": hit.translation.locale,
            "score": round(hit.score, 6),
        }
        for hit in hits
    ]
    if as_json:
        print(json.dumps(rows, ensure_ascii=False))
    else:
        for rank, row in enumerate(rows, start=1):
            print(f"{rank:2}. [{row['locale']}] {row['title']}  ({row['slug']}, {row['score']})")
        if not rows:
            print("No article found.")
    return 0
