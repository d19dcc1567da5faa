"""Background work for the help center."""

from huey.contrib.djhuey import db_task

from storedesk.helpcenter.indexing import article_reindex
from storedesk.search.indexing import INDEXING_PRIORITY


@db_task(priority=INDEXING_PRIORITY)
def index_article(article_id: int) -> None:
    article_reindex(article_id=article_id)
