from zoneinfo import available_timezones

import pydantic
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.utils.text import slugify

from storedesk.accounts.services import audit_log
from storedesk.core.errors import ValidationError
from storedesk.stores.hours import BusinessHours
from storedesk.stores.models import Store


def validated_business_hours(value) -> dict:
    """``value`` checked against the business-hours schema and normalised for storage;
    raises ``ValidationError`` naming the first wrong part."""
    try:
        hours = BusinessHours.model_validate(value or {})
    except pydantic.ValidationError as exc:
        first = exc.errors()[0]
        location = ".".join(str(part) for part in first["loc"])
        field = f"business_hours.{location}" if location else "business_hours"
        raise ValidationError(first["msg"].removeprefix("Value error, "), field=field) from None
    return hours.model_dump(mode="json", exclude_defaults=True)


def store_create(
    *,
    name: str,
    slug: str = "",
    default_locale: str = "en",
    supported_locales=(),
    time_zone: str = "UTC",
    actor=None,
    **fields,
) -> Store:
    slug = slugify(slug or name)[:60]
    if not slug:
        raise ValidationError("The store needs a name.", field="name")
    if Store.objects.filter(slug=slug).exists():
        raise ValidationError("A store with this slug exists.", field="slug")
    if time_zone not in available_timezones():
        raise ValidationError("Unknown time zone.", field="time_zone")
    if "business_hours" in fields:
        fields["business_hours"] = validated_business_hours(fields["business_hours"])
    locales = list(dict.fromkeys([default_locale, *supported_locales]))
    with transaction.atomic():
        store = Store.objects.create(
            name=name,
            slug=slug,
            default_locale=default_locale,
            supported_locales=locales,
            time_zone=time_zone,
            **fields,
        )
        audit_log(actor=actor, action="store.created", target=store)
    return store


def store_update(*, store: Store, actor, **changes) -> Store:
    """Change a store's name, locales, time zone, colour or business hours (validated by
    ``storedesk.stores.hours.BusinessHours``)."""
    allowed = {
        "name",
        "default_locale",
        "supported_locales",
        "time_zone",
        "brand_color",
        "business_hours",
    }
    unknown = set(changes) - allowed
    if unknown:
        raise ValidationError("Unknown field.", field=sorted(unknown)[0])
    if "time_zone" in changes and changes["time_zone"] not in available_timezones():
        raise ValidationError("Unknown time zone.", field="time_zone")
    if "business_hours" in changes:
        changes["business_hours"] = validated_business_hours(changes["business_hours"])
    with transaction.atomic():
        for field, value in changes.items():
            setattr(store, field, value)
        store.supported_locales = list(
            dict.fromkeys([store.default_locale, *store.supported_locales])
        )
        try:
            store.full_clean()
        except DjangoValidationError as exc:
            field, errors = next(iter(exc.message_dict.items()))
            raise ValidationError(errors[0], field=field) from None
        store.save()
        audit_log(
            actor=actor, action="store.updated", target=store, data={"fields": sorted(changes)}
        )
    return store
