"""The background sender used with the Redis channel layer: in order, nothing lost."""

import asyncio
import concurrent.futures
import os

import pytest

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
    async def scenario():
        channel = await redis_layer.new_channel()
        await redis_layer.group_add("store.77", channel)
        for number in range(20):  # what sync code (a request thread) does
            realtime._sender.submit(
                redis_layer, "store.77", {"type": "storedesk.event", "payload": {"n": number}}
            )
        received = []
        for _ in range(20):
            message = await asyncio.wait_for(redis_layer.receive(channel), 5)
            received.append(message["payload"]["n"])
        await redis_layer.group_discard("store.77", channel)
        return received

    # A loop of its own in a thread of its own: the browser tests may hold this thread's.
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        assert pool.submit(asyncio.run, scenario()).result(timeout=30) == list(range(20))


def test_redis_layer_reads_outlast_its_blocking_wait(tmp_path):
    """With Redis, a consumer waits for messages with a blocking pop; if the connection's
    read timeout is not longer than that wait, a busy server drops its websockets."""
    import json
    import os
    import subprocess
    import sys

    from channels_redis.core import RedisChannelLayer

    env = {k: v for k, v in os.environ.items() if not k.startswith("STOREDESK_")}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    env.update(STOREDESK_REDIS_URL="redis://127.0.0.1:6379/15", STOREDESK_HOME=str(tmp_path))
    code = (
        "import json; from storedesk.config import settings; "
        "print(json.dumps(settings.CHANNEL_LAYERS['default']['CONFIG']['hosts']))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    (host,) = json.loads(out.stdout)
    assert host["address"] == "redis://127.0.0.1:6379/15"
    assert host["socket_timeout"] > RedisChannelLayer.brpop_timeout
