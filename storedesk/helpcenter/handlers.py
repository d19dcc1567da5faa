"""Reactions to help-center events (wired in ``storedesk.config.events``)."""

from storedesk.helpcenter.events import ArticleChanged


def enqueue_indexing(event: ArticleChanged) -> None:
    from storedesk.helpcenter.tasks import index_article

    index_article(event.article_id)
