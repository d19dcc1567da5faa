import pytest

from storedesk.accounts.enums import Role
from storedesk.contacts.models import Contact, ContactIdentity
from storedesk.contacts.services import (
    contact_create,
    contact_identify,
    contact_merge,
    contact_update,
)
from storedesk.core.errors import ValidationError
from storedesk.core.testing import AgentFactory, ContactFactory, committed_events
from storedesk.inboxes.adapters.base import SenderRef

pytestmark = pytest.mark.django_db


def test_identify_creates_once_and_finds_again(store):
    sender = SenderRef(identity_kind="email", external_id="Ana@Example.COM ", name="Ana")
    with committed_events() as events:
        first = contact_identify(store=store, sender=sender)
    assert [e.name for e in events] == ["contact.created"]
    again = contact_identify(store=store, sender=sender)
    assert again.pk == first.pk
    assert ContactIdentity.objects.get().external_id == "ana@example.com"


def test_identify_is_per_store(store, other_store):
    sender = SenderRef(
        identity_kind="email", external_id="ana@example.com", email="ana@example.com"
    )
    a = contact_identify(store=store, sender=sender)
    b = contact_identify(store=other_store, sender=sender)
    assert a.pk != b.pk and a.store_id != b.store_id


def test_new_channel_identity_with_known_email_joins_contact(store):
    email_contact = contact_identify(
        store=store, sender=SenderRef(identity_kind="email", external_id="ana@example.com")
    )
    api_contact = contact_identify(
        store=store,
        sender=SenderRef(identity_kind="api", external_id="crm-42", email="ana@example.com"),
    )
    assert api_contact.pk == email_contact.pk
    assert set(api_contact.identities.values_list("kind", flat=True)) == {"email", "api"}


def test_identify_keeps_invalid_email_out_of_the_profile(store):
    contact = contact_identify(
        store=store,
        sender=SenderRef(identity_kind="api", external_id="x1", email="not an email"),
    )
    assert contact.email == ""


def test_create_validates_email_and_uniqueness(store, agent):
    contact = contact_create(
        store=store, actor=agent, name="Ana", email="ANA@example.com", phone="+385 1 234"
    )
    assert contact.email == "ana@example.com"
    assert set(contact.identities.values_list("kind", "external_id")) == {
        ("email", "ana@example.com"),
        ("phone", "+385 1 234"),
    }
    with pytest.raises(ValidationError) as duplicate:
        contact_create(store=store, actor=agent, email="ana@example.com")
    assert duplicate.value.field == "email"
    with pytest.raises(ValidationError) as invalid:
        contact_create(store=store, actor=agent, email="ana@")
    assert invalid.value.field == "email"


def test_dedicated_agent_must_see_store(store, other_store, agent):
    outsider = AgentFactory(role=Role.RESTRICTED, stores=[other_store])
    with pytest.raises(ValidationError) as error:
        contact_create(store=store, actor=agent, name="x", dedicated_agent=outsider)
    assert error.value.field == "dedicated_agent"
    contact = contact_create(store=store, actor=agent, name="x", dedicated_agent=agent)
    assert contact.dedicated_agent == agent


def test_update_emits_fields_and_rejects_unknown(store, agent):
    contact = ContactFactory(store=store)
    with committed_events() as events:
        contact_update(contact=contact, actor=agent, name="Ana Kovač", locale="hr")
    assert events[0].name == "contact.updated"
    assert events[0].fields == ("locale", "name")
    assert Contact.objects.get(pk=contact.pk).name == "Ana Kovač"
    with pytest.raises(ValidationError) as error:
        contact_update(contact=contact, actor=agent, store_id=5)
    assert error.value.field == "store_id"


def test_update_email_clash(store, agent):
    ContactFactory(store=store, email="taken@example.com")
    contact = ContactFactory(store=store)
    with pytest.raises(ValidationError) as error:
        contact_update(contact=contact, actor=agent, email="TAKEN@example.com")
    assert error.value.field == "email"


def test_merge_combines_profile(store, agent):
    target = ContactFactory(store=store, name="", email="t@example.com", notes="first")
    source = ContactFactory(
        store=store,
        name="Wang Fang",
        email="s@example.com",
        phone="+86 10",
        notes="second",
        attributes={"tier": "gold"},
    )
    merged = contact_merge(target=target, source=source, actor=agent)
    assert merged.name == "Wang Fang"
    assert merged.phone == "+86 10"
    assert merged.notes == "first\n\nsecond"
    assert merged.attributes == {"tier": "gold"}
    assert set(merged.identities.values_list("external_id", flat=True)) == {
        "t@example.com",
        "s@example.com",
    }


def test_merge_refuses_self_and_cross_store(store, other_store, agent):
    a = ContactFactory(store=store)
    b = ContactFactory(store=other_store)
    with pytest.raises(ValidationError):
        contact_merge(target=a, source=a, actor=agent)
    with pytest.raises(ValidationError) as cross:
        contact_merge(target=a, source=b, actor=agent)
    assert cross.value.field == "source_id"
    assert Contact.objects.filter(pk=b.pk).exists()
