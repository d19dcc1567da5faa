import pydantic
from django.db import transaction

from storedesk.accounts.services import audit_log
from storedesk.core.errors import ValidationError
from storedesk.core.events import emit
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


def inbound_payload_store(*, inbox, raw: bytes, envelope: dict | None = None):
    """Store raw channel input before acknowledging it. The same bytes twice in one inbox are
    stored once. Returns ``(payload, created)``; a new payload is processed after commit
    (``InboundPayloadStored``)."""
    import hashlib

    from storedesk.inboxes.events import InboundPayloadStored
    from storedesk.inboxes.models import InboundPayload

    content_hash = hashlib.sha256(raw).hexdigest()
    with transaction.atomic():
        payload, created = InboundPayload.objects.get_or_create(
            inbox=inbox,
            content_hash=content_hash,
            defaults={"raw": raw, "envelope": envelope or {}},
        )
        if created:
            emit(InboundPayloadStored(payload_id=payload.pk, inbox_id=inbox.pk))
    return payload, created


def inbound_payload_process(*, payload_id: int) -> str:
    """Process one stored payload through its inbox's adapter, once: a payload that is not
    ``pending`` any more is left alone. Returns the resulting status."""
    from django.db.models import F

    from storedesk.inboxes.adapters import adapter_for
    from storedesk.inboxes.models import InboundPayload, PayloadStatus

    claimed = InboundPayload.objects.filter(pk=payload_id, status=PayloadStatus.PENDING).update(
        attempts=F("attempts") + 1
    )
    payload = InboundPayload.objects.select_related("inbox", "inbox__store").get(pk=payload_id)
    if not claimed or payload.attempts > 5:
        return payload.status
    adapter_for(payload.inbox).process_payload(payload)
    payload.refresh_from_db(fields=["status"])
    return payload.status
