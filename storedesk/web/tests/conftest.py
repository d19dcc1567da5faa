import pytest
from django.test import Client

# The hand-worked analytics history (a Zagreb store across a weekend and a DST change), for
# the reports pages.
from storedesk.analytics.tests.conftest import history  # noqa: F401
from storedesk.conversations import services
from storedesk.core.testing import inbound


@pytest.fixture
def signed_in(agent):
    client = Client()
    client.force_login(agent)
    return client


@pytest.fixture
def admin_client(admin_agent):
    client = Client()
    client.force_login(admin_agent)
    return client


@pytest.fixture
def conversation(api_inbox):
    return services.message_receive(
        inbox=api_inbox, inbound=inbound("Where is my order FA1234567?", name="Ana Horvat")
    ).conversation
