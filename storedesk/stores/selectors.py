from django.db.models import QuerySet

from storedesk.accounts.selectors import scope_to_stores
from storedesk.core.errors import NotFound
from storedesk.stores.models import Store


def store_list(*, actor) -> QuerySet[Store]:
    return scope_to_stores(Store.objects.all(), actor, field="id").order_by("name", "id")


def access_store(*, actor, id: int) -> Store:
    store = scope_to_stores(Store.objects.all(), actor, field="id").filter(pk=id).first()
    if store is None:
        raise NotFound("Store not found.")
    return store
