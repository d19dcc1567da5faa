"""Writes for contacts: identify (find or create from a channel identity), create, update,
merge."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction

from storedesk.accounts.models import Agent
from storedesk.accounts.selectors import can_see_store
from storedesk.accounts.services import audit_log
from storedesk.commerce.models import Order
from storedesk.contacts.events import ContactCreated, ContactMerged, ContactUpdated
from storedesk.contacts.models import Contact, ContactIdentity, IdentityKind
from storedesk.core.errors import ValidationError
from storedesk.core.events import emit
from storedesk.core.queries import unique_row
from storedesk.inboxes.adapters.base import SenderRef
from storedesk.stores.models import Store

UPDATABLE_FIELDS = ("name", "email", "phone", "locale", "notes", "dedicated_agent", "attributes")


def normalise_email(email: str) -> str:
    return email.strip().lower()


def _valid_email(email: str, field: str = "email") -> str:
    email = normalise_email(email)
    if email:
        try:
            validate_email(email)
        except DjangoValidationError:
            raise ValidationError("Not a valid email address.", field=field) from None
    return email


def _identity_add(contact: Contact, kind: str, external_id: str) -> None:
    """Attach an identity unless the store already has it (on this or another contact)."""
    try:
        with transaction.atomic():
            ContactIdentity.objects.get_or_create(
                store_id=contact.store_id,
                kind=kind,
                external_id=external_id,
                defaults={"contact": contact},
            )
    except IntegrityError:
        pass  # created concurrently: same result


def contact_identify(*, store: Store, sender: SenderRef, lock: bool = False) -> Contact:
    """Find the store's contact for ``sender``'s identity, or create it.

    A new identity whose email matches an existing contact joins that contact. Safe under
    concurrency: two simultaneous calls for the same identity return the same contact. With
    ``lock=True`` (inside a transaction) an existing contact is returned row-locked, so the
    caller's work for this contact is serialised.
    """
    return contact_identify_outcome(store=store, sender=sender, lock=lock)[0]


def contact_identify_outcome(
    *, store: Store, sender: SenderRef, lock: bool = False
) -> tuple[Contact, bool]:
    """:func:`contact_identify`, also telling whether the contact was created by this call
    (so the caller knows it has no history to look up)."""
    kind, external_id = sender.identity_kind, sender.external_id.strip()
    if kind == IdentityKind.EMAIL:
        external_id = normalise_email(external_id)
    known = Contact.objects.filter(
        identities__store=store, identities__kind=kind, identities__external_id=external_id
    )
    if lock:
        known = known.select_for_update(of=("self",))
    contact = unique_row(known)  # (store, kind, external id) is unique
    if contact is not None:
        return contact, False
    email = normalise_email(sender.email)
    contact = None
    # An email identity is its own email: the query above has already looked for it. A
    # typed, unverified address must not lead into its owner's contact (and conversations).
    if (
        email
        and sender.email_verified
        and not (kind == IdentityKind.EMAIL and email == external_id)
    ):
        contact = (
            Contact.objects.filter(
                # On the identity's store: the unique (store, kind, external id) index
                # answers it, however many contacts the store has.
                identities__store=store,
                identities__kind=IdentityKind.EMAIL,
                identities__external_id=email,
            )
            .order_by("id")
            .first()
        )
    created = contact is None
    try:
        with transaction.atomic():
            if created:
                contact = Contact.objects.create(
                    store=store,
                    name=sender.name[:200],
                    email=email if _is_valid_email(email) else "",
                    phone=sender.phone[:40],
                    locale=sender.locale[:16],
                )
                emit(ContactCreated(contact_id=contact.pk, store_id=store.pk))
            ContactIdentity.objects.create(
                store=store, contact=contact, kind=kind, external_id=external_id
            )
    except IntegrityError:
        # Another request created this identity first (and has committed): use its contact.
        contact_id = ContactIdentity.objects.values_list("contact_id", flat=True).get(
            store=store, kind=kind, external_id=external_id
        )
        contacts = Contact.objects.select_for_update() if lock else Contact.objects
        return contacts.get(pk=contact_id), False
    if email and sender.email_verified and kind != IdentityKind.EMAIL and contact.email == email:
        _identity_add(contact, IdentityKind.EMAIL, email)
    return contact, created


def _is_valid_email(email: str) -> bool:
    try:
        validate_email(email)
    except DjangoValidationError:
        return False
    return True


def _check_dedicated_agent(store: Store, agent: Agent | None) -> None:
    if agent is None:
        return
    if not agent.is_active or not can_see_store(agent, store.pk):
        raise ValidationError(
            "The dedicated agent must be an active agent of this store.", field="dedicated_agent"
        )


def contact_create(
    *,
    store: Store,
    actor: Agent | None,
    name: str = "",
    email: str = "",
    phone: str = "",
    locale: str = "",
    notes: str = "",
    dedicated_agent: Agent | None = None,
    attributes: dict | None = None,
) -> Contact:
    """Create a contact; its email and phone become identities. Raises ``ValidationError``
    (field ``email``) if another contact of the store already has that email."""
    email = _valid_email(email)
    _check_dedicated_agent(store, dedicated_agent)
    if email and ContactIdentity.objects.filter(store=store, kind="email", external_id=email):
        raise ValidationError("Another contact already has this email.", field="email")
    with transaction.atomic():
        contact = Contact.objects.create(
            store=store,
            name=name,
            email=email,
            phone=phone.strip(),
            locale=locale,
            notes=notes,
            dedicated_agent=dedicated_agent,
            attributes=attributes or {},
        )
        if email:
            _identity_add(contact, IdentityKind.EMAIL, email)
        if contact.phone:
            _identity_add(contact, IdentityKind.PHONE, contact.phone)
        audit_log(actor=actor, action="contact.created", target=contact)
        emit(ContactCreated(contact_id=contact.pk, store_id=store.pk))
    return contact


def contact_update(*, contact: Contact, actor: Agent | None, **changes) -> Contact:
    """Change the given fields (a subset of ``UPDATABLE_FIELDS``)."""
    unknown = set(changes) - set(UPDATABLE_FIELDS)
    if unknown:
        raise ValidationError("Unknown field.", field=sorted(unknown)[0])
    if "email" in changes:
        changes["email"] = _valid_email(changes["email"] or "")
        clash = (
            ContactIdentity.objects.filter(
                store_id=contact.store_id, kind="email", external_id=changes["email"]
            )
            .exclude(contact=contact)
            .exists()
        )
        if changes["email"] and clash:
            raise ValidationError("Another contact already has this email.", field="email")
    if "dedicated_agent" in changes:
        _check_dedicated_agent(contact.store, changes["dedicated_agent"])
    with transaction.atomic():
        for field, value in changes.items():
            setattr(contact, field, value)
        contact.save()
        if changes.get("email"):
            _identity_add(contact, IdentityKind.EMAIL, changes["email"])
        if changes.get("phone"):
            _identity_add(contact, IdentityKind.PHONE, changes["phone"].strip())
        audit_log(
            actor=actor, action="contact.updated", target=contact, data={"fields": sorted(changes)}
        )
        emit(
            ContactUpdated(
                contact_id=contact.pk, store_id=contact.store_id, fields=tuple(sorted(changes))
            )
        )
    return contact


def contact_merge(*, target: Contact, source: Contact, actor: Agent | None) -> Contact:
    """Move everything of ``source`` (identities, conversations, orders, notes, blank
    fields) onto ``target`` and delete ``source``. Both must belong to the same store."""
    from storedesk.conversations.services import conversations_move_to_contact

    if target.pk == source.pk:
        raise ValidationError("A contact cannot be merged into itself.", field="source_id")
    if target.store_id != source.store_id:
        raise ValidationError("Contacts of different stores cannot be merged.", field="source_id")
    with transaction.atomic():
        locked = {
            c.pk: c
            for c in Contact.objects.select_for_update().filter(pk__in=[target.pk, source.pk])
        }
        target, source = locked[target.pk], locked[source.pk]
        ContactIdentity.objects.filter(contact=source).update(contact=target)
        Order.objects.filter(contact=source).update(contact=target)
        conversations_move_to_contact(source=source, target=target, actor=actor)
        for field in ("name", "email", "phone", "locale"):
            if not getattr(target, field) and getattr(source, field):
                setattr(target, field, getattr(source, field))
        if target.dedicated_agent_id is None:
            target.dedicated_agent_id = source.dedicated_agent_id
        if source.notes:
            target.notes = f"{target.notes}\n\n{source.notes}".strip()
        target.attributes = {**source.attributes, **target.attributes}
        target.save()
        source_id = source.pk
        audit_log(
            actor=actor, action="contact.merged", target=target, data={"merged_id": source_id}
        )
        source.delete()
        emit(
            ContactMerged(
                contact_id=target.pk, merged_contact_id=source_id, store_id=target.store_id
            )
        )
    return target
