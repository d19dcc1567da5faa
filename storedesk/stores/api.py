"""``/api/v1/stores``."""

from datetime import datetime

from django.http import HttpRequest
from ninja import Router, Schema

from storedesk.core.schemas import ERROR_RESPONSES
from storedesk.stores.selectors import access_store, store_list

router = Router(tags=["stores"])


class StoreOut(Schema):
    id: int
    name: str
    slug: str
    default_locale: str
    supported_locales: list[str]
    time_zone: str
    business_hours: dict
    created_at: datetime


@router.get("", response={200: list[StoreOut], **ERROR_RESPONSES})
def list_stores(request: HttpRequest):
    return list(store_list(actor=request.auth))


@router.get("/{store_id}", response={200: StoreOut, **ERROR_RESPONSES})
def get_store(request: HttpRequest, store_id: int):
    return access_store(actor=request.auth, id=store_id)
