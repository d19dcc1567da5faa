"""The background sender used with the Redis channel layer: in order, nothing lost."""

import os

import pytest
from asgiref.sync import async_to_sync

from storedesk.core import realtime

REDIS_URL = os.environ.get("STOREDESK_TEST_REDIS_URL", "")


@pytest.fixture
def redis_layer():
    if not REDIS_URL:
        if os.environ.get("CI") == "true":
            pytest.fail("STOREDESK_TEST_REDIS_URL is required in CI")
        pytest.skip("set STOREDESK_TEST_REDIS_URL to test the Redis channel layer")
    from channels_redis.core import RedisChannelLayer

    return RedisChannelLayer(hosts=[REDIS_URL], prefix="storedesk-test-realtime")


def test_events_from_sync_code_arrive_in_order(redis_layer):
    async def subscribe():
        channel = await redis_layer.new_channel()
        await redis_layer.group_add("store.77", channel)
        return channel

    channel = async_to_sync(subscribe)()
    for number in range(20):
        realtime._sender.submit(
            redis_layer, "store.77", {"type": "storedesk.event", "payload": {"n": number}}
        )

    async def receive_all():
        received = []
        for _ in range(20):
            message = await redis_layer.receive(channel)
            received.append(message["payload"]["n"])
        await redis_layer.group_discard("store.77", channel)
        return received

    assert async_to_sync(receive_all)() == list(range(20))
