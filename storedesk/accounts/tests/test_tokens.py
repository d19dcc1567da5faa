from datetime import timedelta

import pytest
from django.utils import timezone

from storedesk.accounts.models import ApiToken, AuditLog
from storedesk.accounts.services import api_token_authenticate, api_token_create, api_token_revoke
from storedesk.core.testing import AgentFactory

pytestmark = pytest.mark.django_db


def test_token_is_hashed_at_rest_and_authenticates(agent):
    token, secret = api_token_create(agent=agent, name="zapier")
    assert secret not in token.token_hash and len(token.token_hash) == 64
    assert not ApiToken.objects.filter(token_hash__contains=secret[-20:]).exists()
    assert api_token_authenticate(secret) == agent
    assert AuditLog.objects.filter(action="api_token.created", actor=agent).exists()


@pytest.mark.parametrize(
    "mangle",
    [
        lambda s: s[:-1] + ("A" if s[-1] != "A" else "B"),
        lambda s: s.replace("sdk_", "xyz_"),
        lambda s: "",
        lambda s: "sdk_",
        lambda s: s + "_",
    ],
)
def test_wrong_tokens_fail(agent, mangle):
    _, secret = api_token_create(agent=agent)
    assert api_token_authenticate(mangle(secret)) is None


def test_revoked_and_inactive(agent):
    token, secret = api_token_create(agent=agent)
    api_token_revoke(token=token, actor=agent)
    assert api_token_authenticate(secret) is None
    other = AgentFactory()
    _, other_secret = api_token_create(agent=other)
    other.is_active = False
    other.save()
    assert api_token_authenticate(other_secret) is None


def test_last_used_is_written_at_most_once_a_minute(agent):
    token, secret = api_token_create(agent=agent)
    api_token_authenticate(secret)
    first = ApiToken.objects.get(pk=token.pk).last_used_at
    api_token_authenticate(secret)
    assert ApiToken.objects.get(pk=token.pk).last_used_at == first
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now() - timedelta(minutes=2))
    api_token_authenticate(secret)
    assert ApiToken.objects.get(pk=token.pk).last_used_at > first


def test_stored_hash_is_not_a_token(agent):
    token, _ = api_token_create(agent=agent)
    assert api_token_authenticate(token.token_hash) is None
    assert api_token_authenticate(f"sdk_{token.prefix}_{token.token_hash}") is None
