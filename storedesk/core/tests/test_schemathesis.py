"""Fuzz the whole REST API against its own OpenAPI schema with schemathesis.

Every operation of ``/api/v1/openapi.json`` gets generated requests, valid and invalid, sent
in-process to the WSGI application inside the test's database transaction, once as an admin
and once as a restricted agent. Each response must not be a server error and must match the
schema (status code, content type, body). Generated ids are mixed with the ids of seeded
objects so requests reach real conversations, contacts, inboxes and stores, not only 404s.

Bounded and reproducible: derandomized Hypothesis (the same examples on every run) and a few
dozen examples per operation keep it in the normal suite. Each operation is its own test,
driven through ``APIOperation.as_strategy``: ``schemathesis.pytest.from_fixture`` cannot be
used with pytest 9 (its lazy loader rewrites ``Node._nodeid``, which pytest 9 removed).
"""

from __future__ import annotations

import contextlib

import hypothesis
import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from storedesk.accounts.enums import Role
from storedesk.accounts.services import team_create
from storedesk.conversations import services as conversation_services
from storedesk.core.api import api
from storedesk.core.testing import AgentFactory, ContactFactory, bearer, inbound, make_inbox
from storedesk.inboxes.adapters.base import InboundAttachment

pytestmark = pytest.mark.django_db

OPERATIONS = sorted(
    (method.upper(), path)
    for path, methods in api.get_openapi_schema()["paths"].items()
    for method in methods
)
# Examples per operation and role: valid requests, then invalid ones.
POSITIVE_EXAMPLES = 20
NEGATIVE_EXAMPLES = 10
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@contextlib.contextmanager
def in_process_requests():
    """Let the WSGI application run inside the test's transaction.

    A real server closes stale database connections at each request's start and end; here
    that would close the connection holding the test transaction (Django's test client
    disconnects the same handler).
    """
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture(scope="module")
def openapi_document():
    """The schema as the application serves it (fetched once: generating it is slow)."""
    with in_process_requests():
        loaded = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", get_wsgi_application())
    return loaded.raw_schema


@pytest.fixture
def seeded(store, other_store, restricted_agent):
    """Objects in both stores, by the parameter names the API uses for their ids."""
    team = team_create(name="Fuzz team")
    known: dict[str, list] = {
        "conversation_id": [],
        "contact_id": [],
        "source_id": [],
        "inbox_id": [],
        "store_id": [store.pk, other_store.pk],
        "store": [store.pk, other_store.pk],
        "team_id": [team.pk],
        "team": [team.pk],
        "assignee_id": [restricted_agent.pk],
        "dedicated_agent_id": [restricted_agent.pk],
        "token": [],
        "after_id": [],
    }
    for shop in (store, other_store):
        inbox = make_inbox(shop, "api", f"{shop.name} API")
        webform = make_inbox(shop, "webform", f"{shop.name} form")
        known["inbox_id"] += [inbox.pk, webform.pk]
        known["token"].append(webform.public_token)
        for index in range(2):
            contact = ContactFactory(store=shop)
            message = conversation_services.message_receive(
                inbox=inbox,
                inbound=inbound(
                    f"Question {index}",
                    email=contact.email,
                    attachments=(InboundAttachment(filename="a.txt", content=b"x"),),
                ),
            )
            conversation = message.conversation
            conversation_services.note_add(conversation=conversation, author=None, text="n")
            conversation_services.conversation_tag(conversation=conversation, actor=None, add=["t"])
            known["conversation_id"].append(conversation.pk)
            known["contact_id"].append(contact.pk)
            known["source_id"].append(contact.pk)
            known["after_id"].append(message.pk)
        colleague = AgentFactory(role=Role.AGENT)
        known["assignee_id"].append(colleague.pk)
        known["dedicated_agent_id"].append(colleague.pk)
    for name in ("inbox", "contact"):
        known[name] = known[f"{name}_id"]
    return known


@pytest.fixture(params=["admin", "restricted"])
def api_schema(request, db, openapi_document, seeded, restricted_agent):
    agent = (
        restricted_agent
        if request.param == "restricted"
        else AgentFactory(role=Role.ADMIN, is_superuser=True)
    )
    config = schemathesis.Config.from_dict(
        {"headers": {"Authorization": bearer(agent)["HTTP_AUTHORIZATION"]}}
    )
    schema = schemathesis.openapi.from_dict(openapi_document, config=config)
    schema.app = get_wsgi_application()  # what from_wsgi sets: requests go in-process

    def mixed(values: dict) -> st.SearchStrategy:
        """Keep each generated value or swap it for the id of a seeded object."""
        if not isinstance(values, dict):
            return st.just(values)
        return st.fixed_dictionaries(
            {
                key: (
                    st.one_of(st.just(value), st.sampled_from(seeded[key]))
                    if key in seeded and seeded[key]
                    else st.just(value)
                )
                for key, value in values.items()
            }
        )

    schema.hook("flatmap_path_parameters")(lambda context, values: mixed(values))
    schema.hook("flatmap_query")(lambda context, values: mixed(values))
    schema.hook("flatmap_body")(lambda context, body: mixed(body))
    return schema


@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_operation_conforms_to_the_schema(api_schema, method, path):
    operation = api_schema[path][method]
    definition = api_schema.raw_schema["paths"][path][method.lower()]
    has_input = bool(definition.get("parameters")) or "requestBody" in definition
    # Negative data needs an input to break; operations without one are fuzzed positively.
    budgets = {GenerationMode.POSITIVE: POSITIVE_EXAMPLES}
    if has_input:
        budgets[GenerationMode.NEGATIVE] = NEGATIVE_EXAMPLES

    with in_process_requests():
        for mode, examples in budgets.items():

            @hypothesis.settings(
                max_examples=examples,
                deadline=None,
                database=None,
                derandomize=True,
                suppress_health_check=list(hypothesis.HealthCheck),
            )
            @hypothesis.given(case=operation.as_strategy(generation_mode=mode))
            def run(case):
                response = case.call()
                case.validate_response(response, checks=CHECKS)

            run()


def test_every_operation_is_fuzzed(api_schema):
    fuzzed = {
        (result.ok().method.upper(), result.ok().path) for result in api_schema.get_all_operations()
    }
    assert fuzzed == set(OPERATIONS)
