import pydantic
from django.db import transaction

from storedesk.accounts.services import audit_log
from storedesk.core.errors import ValidationError
from storedesk.inboxes.adapters import adapter_class
from storedesk.inboxes.models import Inbox, new_public_token


def _validated_config(kind: str, config: dict | None) -> dict:
    adapter = adapter_class(kind)
    if config is None:
        return adapter.default_config()
    try:
        return adapter.Config.model_validate(config).model_dump(mode="json")
    except pydantic.ValidationError as exc:
        first = exc.errors()[0]
        location = ".".join(str(part) for part in first["loc"])
        raise ValidationError(first["msg"], field=f"config.{location}") from None


def inbox_create(
    *, store, kind: str, name: str, config: dict | None = None, actor=None, **fields
) -> Inbox:
    """Create an inbox; ``config`` is validated by the adapter's schema (defaults if None)."""
    with transaction.atomic():
        inbox = Inbox.objects.create(
            store=store, kind=kind, name=name, config=_validated_config(kind, config), **fields
        )
        audit_log(actor=actor, action="inbox.created", target=inbox, data={"kind": kind})
    return inbox


def inbox_update(*, inbox: Inbox, actor, **changes) -> Inbox:
    if "config" in changes:
        changes["config"] = _validated_config(inbox.kind, changes["config"])
    with transaction.atomic():
        for field, value in changes.items():
            setattr(inbox, field, value)
        inbox.save()
        audit_log(
            actor=actor, action="inbox.updated", target=inbox, data={"fields": sorted(changes)}
        )
    return inbox


def inbox_rotate_public_token(*, inbox: Inbox, actor) -> Inbox:
    inbox.public_token = new_public_token()
    inbox.save(update_fields=["public_token", "updated_at"])
    audit_log(actor=actor, action="inbox.token_rotated", target=inbox)
    return inbox
