import copy

import pydantic
from django.db import IntegrityError, transaction

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


# A stored secret is kept only for the same account on the same server: changing either
# must come with the secret again, so no credential is ever sent to a server it was not for.
_ACCOUNT_KEYS = ("host", "username")


def _keep_secrets(kind: str, stored: dict, new):
    """``new`` with the secrets it leaves out (absent or empty) taken from ``stored``.

    The adapter's ``Config.SECRET_FIELDS`` names them (dotted paths such as
    ``imap.password``). A settings form can therefore show the config without its secrets
    and save it back without wiping them.
    """
    paths = getattr(adapter_class(kind).Config, "SECRET_FIELDS", ())
    if not paths or not isinstance(new, dict) or not isinstance(stored, dict):
        return new
    new = copy.deepcopy(new)
    for path in paths:
        *parents, key = path.split(".")
        old_parent, new_parent = stored, new
        for part in parents:
            old_parent = old_parent.get(part) if isinstance(old_parent, dict) else None
            new_parent = new_parent.get(part) if isinstance(new_parent, dict) else None
        if not isinstance(old_parent, dict) or not isinstance(new_parent, dict):
            continue
        if new_parent.get(key) or not old_parent.get(key):
            continue
        if all(
            str(old_parent.get(k) or "").strip().lower()
            == str(new_parent.get(k) or "").strip().lower()
            for k in _ACCOUNT_KEYS
        ):
            new_parent[key] = old_parent[key]
    return new


# Which mailbox is polled: when one of these changes, its saved position means nothing.
_MAILBOX_KEYS = ("host", "username", "folder")


def _mailbox_settings_changed(inbox: Inbox, before: dict, after: dict) -> None:
    """New IMAP settings are polled at the next scheduler run (no waiting out a back-off
    after, say, a corrected password), and another mailbox is read from its first message:
    duplicates are impossible (payloads are unique by content, messages by Message-ID)."""
    from storedesk.inboxes.models import MailboxState

    old, new = before.get("imap") or {}, after.get("imap") or {}
    if old == new:
        return
    reset = {"next_poll_at": None, "consecutive_failures": 0}
    if any(old.get(key) != new.get(key) for key in _MAILBOX_KEYS):
        reset.update(uidvalidity=None, last_uid=0)
    MailboxState.objects.filter(inbox=inbox).update(**reset)


def inbox_update(*, inbox: Inbox, actor, **changes) -> Inbox:
    """Change an inbox. A new ``config`` is validated by the adapter's schema; secrets it
    leaves out (absent or empty, e.g. ``imap.password``) keep their stored value as long as
    the account they belong to (host and username) is unchanged."""
    previous_config = inbox.config
    if "config" in changes:
        config = _keep_secrets(inbox.kind, inbox.config, changes["config"])
        changes["config"] = _validated_config(inbox.kind, config)
    with transaction.atomic():
        for field, value in changes.items():
            setattr(inbox, field, value)
        inbox.save()
        if "config" in changes:
            _mailbox_settings_changed(inbox, previous_config or {}, inbox.config)
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
    try:
        # Insert first: a repeat is rare, so asking before every insert is a wasted query.
        with transaction.atomic():
            payload = InboundPayload.objects.create(
                inbox=inbox, content_hash=content_hash, raw=raw, envelope=envelope or {}
            )
            emit(InboundPayloadStored(payload_id=payload.pk, inbox_id=inbox.pk))
    except IntegrityError:
        return InboundPayload.objects.get(inbox=inbox, content_hash=content_hash), False
    return payload, True


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
    return payload.status
