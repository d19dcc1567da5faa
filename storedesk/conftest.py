"""Fixtures shared by every app's tests."""

import pytest

from storedesk.accounts.enums import Role
from storedesk.core.testing import AgentFactory, StoreFactory, make_inbox


@pytest.fixture
def store(db):
    return StoreFactory(name="Fashion", slug="fashion")


@pytest.fixture
def other_store(db):
    return StoreFactory(name="Electronics", slug="electronics")


@pytest.fixture
def api_inbox(store):
    return make_inbox(store, "api", "API")


@pytest.fixture
def other_api_inbox(other_store):
    return make_inbox(other_store, "api", "Other API")


@pytest.fixture
def admin_agent(db):
    return AgentFactory(username="boss", role=Role.ADMIN, is_superuser=True, is_staff=True)


@pytest.fixture
def agent(db):
    return AgentFactory(username="ana", role=Role.AGENT)


@pytest.fixture
def restricted_agent(store):
    """An outsourced agent who may see only ``store``."""
    return AgentFactory(username="outsourced", role=Role.RESTRICTED, stores=[store])
