"""Factories and helpers shared by the test suites of every app."""

from __future__ import annotations

import contextlib
import itertools

import factory
from django.test import TestCase

from storedesk.accounts.enums import Role
from storedesk.accounts.models import Agent, Team
from storedesk.accounts.services import api_token_create
from storedesk.contacts.models import Contact, ContactIdentity
from storedesk.core.events import recording
from storedesk.inboxes.adapters.base import InboundMessage, SenderRef
from storedesk.inboxes.services import inbox_create
from storedesk.stores.models import Store

_sequence = itertools.count(1)


class StoreFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Store

    name = factory.Sequence(lambda n: f"Shop {n}")
    slug = factory.Sequence(lambda n: f"shop-{n}")
    default_locale = "en"
    supported_locales = factory.LazyFunction(lambda: ["en"])


class AgentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Agent
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"agent{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@desk.example")
    role = Role.AGENT
    password = factory.PostGenerationMethodCall("set_password", "pw-for-tests")

    @factory.post_generation
    def stores(self, create, extracted, **kwargs):
        if create and extracted:
            self.stores.set(extracted)
        if create:
            self.save()


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team

    name = factory.Sequence(lambda n: f"Team {n}")


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contact
        skip_postgeneration_save = True

    store = factory.SubFactory(StoreFactory)
    name = factory.Sequence(lambda n: f"Customer {n}")
    email = factory.Sequence(lambda n: f"customer{n}@example.com")

    @factory.post_generation
    def identities(self, create, extracted, **kwargs):
        if create and self.email:
            ContactIdentity.objects.create(
                store=self.store, contact=self, kind="email", external_id=self.email.lower()
            )


def make_inbox(store: Store, kind: str = "api", name: str | None = None, **fields):
    return inbox_create(store=store, kind=kind, name=name or f"{kind} inbox", **fields)


def inbound(
    text: str = "Hello, where is my order?",
    *,
    email: str = "ana@example.com",
    name: str = "Ana Horvat",
    external_id: str | None = None,
    **fields,
) -> InboundMessage:
    """An inbound message from an email identity (the common case in tests)."""
    return InboundMessage(
        sender=SenderRef(identity_kind="email", external_id=email, name=name, email=email),
        text=text,
        external_id=external_id,
        **fields,
    )


def bearer(agent: Agent) -> dict:
    """Headers authenticating ``agent`` with a fresh API token (for django.test.Client)."""
    _, secret = api_token_create(agent=agent, name=f"test-{next(_sequence)}")
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


@contextlib.contextmanager
def committed_events():
    """Run the block as if its transaction committed (on_commit callbacks execute) and
    collect the domain events dispatched: ``with committed_events() as events: ...``."""
    with recording() as events, TestCase.captureOnCommitCallbacks(execute=True):
        yield events


class JsonApi:
    """A Django test client speaking JSON to one API resource, authenticated as ``agent``
    by a fresh Bearer token."""

    def __init__(self, agent: Agent, base: str):
        from django.test import Client

        self.client = Client()
        self.headers = bearer(agent)
        self.base = base

    def get(self, path: str = "", params: dict | None = None):
        return self.client.get(self.base + path, params or {}, **self.headers)

    def post(self, path: str = "", body: dict | None = None):
        return self.client.post(
            self.base + path, body or {}, content_type="application/json", **self.headers
        )

    def patch(self, path: str, body: dict):
        return self.client.patch(
            self.base + path, body, content_type="application/json", **self.headers
        )


def assert_api_error(response, status: int, code: str, field: str | None = None) -> dict:
    """Assert the API's JSON error shape: status, stable code, offending field, a message."""
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    error = response.json()["error"]
    assert error["code"] == code
    assert error["field"] == field
    assert error["message"]
    return error


def free_port() -> int:
    """A TCP port free on loopback now (for a test server)."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class SmtpSink:
    """An aiosmtpd handler keeping the raw messages it is sent: the customer's mail server
    in tests that deliver replies by real SMTP on loopback."""

    def __init__(self):
        self.messages: list[bytes] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        self.messages.append(envelope.original_content or envelope.content)
        return "250 OK"
