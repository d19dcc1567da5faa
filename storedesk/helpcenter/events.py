import dataclasses

from storedesk.core.events import Event


@dataclasses.dataclass(frozen=True)
class ArticleChanged(Event):
    """An article or one of its translations was published, unpublished, edited in a way
    readers see, or deleted: its search documents must follow."""

    name = "helpcenter.article_changed"
    article_id: int
    store_id: int
