"""Scale-out for real: two ``storedesk serve`` processes and a ``storedesk worker`` sharing
Redis (queue and channel layer). Requires Redis (``STOREDESK_TEST_REDIS_URL``)."""

import asyncio
import concurrent.futures
import contextlib
import json
import os
import signal
import subprocess
import time
import urllib.request

import pytest
import websockets

from storedesk.core.testing import free_port
from storedesk.core.tests.test_cli import STOREDESK, _env, _get

REDIS_URL = os.environ.get("STOREDESK_TEST_REDIS_URL", "")

pytestmark = pytest.mark.skipif(
    bool(os.environ.get("STOREDESK_DATABASE_URL")),
    reason="process-level scale-out runs once, in the SQLite pass",
)


@pytest.fixture
def redis_url():
    if not REDIS_URL:
        if os.environ.get("CI") == "true":
            pytest.fail("STOREDESK_TEST_REDIS_URL is required in CI")
        pytest.skip("set STOREDESK_TEST_REDIS_URL to run the Redis scale-out test")
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    client.flushdb()
    yield REDIS_URL
    client.flushdb()


SETUP = """
from django.contrib.sessions.backends.db import SessionStore
from storedesk.accounts.services import agent_create, api_token_create
from storedesk.inboxes.services import inbox_create
from storedesk.stores.services import store_create
import json
agent = agent_create(username="lead", password=None, role="admin", is_superuser=True)
_, token = api_token_create(agent=agent)
store = store_create(name="Fashion")
inbox = inbox_create(store=store, kind="api", name="API")
chat = inbox_create(store=store, kind="webchat", name="Chat")
session = SessionStore()
session["_auth_user_id"] = str(agent.pk)
session["_auth_user_backend"] = "django.contrib.auth.backends.ModelBackend"
session["_auth_user_hash"] = agent.get_session_auth_hash()
session.create()
print(json.dumps({
    "token": token, "inbox": inbox.pk, "session": session.session_key,
    "chat": chat.public_token,
}))
"""


def _post(url, token, body):
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 (loopback)
        return json.loads(response.read())


def _wait_healthy(port, process):
    for _ in range(150):
        if process.poll() is not None:
            raise AssertionError(process.stdout.read())
        try:
            return _get(f"http://127.0.0.1:{port}/healthz")[1]
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"server on {port} did not start")


@contextlib.contextmanager
def cluster(tmp_path, redis_url):
    """Two ``storedesk serve`` processes and a worker sharing Redis, with the data of
    ``SETUP``. Yields ``(ports, ids)`` once both servers answer; stops everything after."""
    env = {**_env(tmp_path), "STOREDESK_REDIS_URL": redis_url}
    subprocess.run([*STOREDESK, "migrate"], env=env, check=True, capture_output=True)
    setup = subprocess.run(
        [*STOREDESK, "manage", "shell", "-c", SETUP],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    ids = json.loads(setup.stdout.strip().splitlines()[-1])
    ports = [free_port(), free_port()]
    commands = [[*STOREDESK, "serve", "--port", str(port)] for port in ports]
    commands.append([*STOREDESK, "worker", "--workers", "2"])
    processes = [
        subprocess.Popen(
            command,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        for command in commands
    ]
    try:
        for port, process in zip(ports, processes, strict=False):
            health = _wait_healthy(port, process)
            assert health["queue"] == "PriorityRedisHuey"
            assert health["channel_layer"] == "RedisChannelLayer"
        yield ports, ids
    finally:
        for process in processes:
            process.send_signal(signal.SIGINT)
        for process in processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)


def test_two_servers_and_a_worker_share_redis(tmp_path, redis_url):
    with cluster(tmp_path, redis_url) as (ports, ids):

        async def scenario():
            # An agent watches through server A; the customer writes through server B.
            async with websockets.connect(
                f"ws://127.0.0.1:{ports[0]}/ws/agent/",
                additional_headers={
                    "Cookie": f"sessionid={ids['session']}",
                    "Origin": f"http://127.0.0.1:{ports[0]}",
                },
            ) as socket:
                assert json.loads(await socket.recv())["event"] == "hello"
                created = await asyncio.to_thread(
                    _post,
                    f"http://127.0.0.1:{ports[1]}/api/v1/conversations",
                    ids["token"],
                    {
                        "inbox_id": ids["inbox"],
                        "contact": {"email": "ana@example.com"},
                        "text": "Where is my parcel?",
                    },
                )
                events = []
                while len(events) < 2:
                    events.append(json.loads(await asyncio.wait_for(socket.recv(), 10)))
                return created, events

        # In a thread of its own: the browser tests may hold an event loop on this one.
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            created, events = pool.submit(asyncio.run, scenario()).result(timeout=60)
        assert [e["event"] for e in events] == ["conversation.created", "message.created"]
        assert events[1]["message_id"] == created["id"]

        # A reply queued through server B is delivered by the separate worker via Redis.
        conversation = created["conversation_id"]
        reply = _post(
            f"http://127.0.0.1:{ports[1]}/api/v1/conversations/{conversation}/messages",
            ids["token"],
            {"text": "It left our warehouse today."},
        )
        # Queued by server B; the worker may deliver it before B's answer is written.
        assert reply["delivery_status"] in ("queued", "sent")
        status = None
        for _ in range(100):
            _, page = _get(
                f"http://127.0.0.1:{ports[0]}/api/v1/conversations/{conversation}/messages",
                ids["token"],
            )
            status = next(m for m in page["items"] if m["id"] == reply["id"])["delivery_status"]
            if status == "sent":
                break
            time.sleep(0.2)
        assert status == "sent"


def test_a_chat_across_two_servers_and_a_worker(tmp_path, redis_url):
    """A visitor on server B, an agent watching on server A, the reply delivered by the
    worker: messages flow both ways through Redis."""
    with cluster(tmp_path, redis_url) as (ports, ids):

        async def scenario():
            agent_url = f"ws://127.0.0.1:{ports[0]}/ws/agent/"
            agent_headers = {
                "Cookie": f"sessionid={ids['session']}",
                "Origin": f"http://127.0.0.1:{ports[0]}",
            }
            visitor_url = f"ws://127.0.0.1:{ports[1]}/ws/chat/{ids['chat']}/"
            visitor_headers = {"Origin": f"http://127.0.0.1:{ports[1]}"}
            async with (
                websockets.connect(agent_url, additional_headers=agent_headers) as agent,
                websockets.connect(visitor_url, additional_headers=visitor_headers) as visitor,
            ):
                assert json.loads(await agent.recv())["event"] == "hello"
                await visitor.send(json.dumps({"type": "hello", "token": None, "after_id": 0}))
                welcome = json.loads(await visitor.recv())
                await visitor.send(
                    json.dumps({"type": "message", "text": "Is XL in stock?", "client_key": "k1"})
                )
                session = json.loads(await asyncio.wait_for(visitor.recv(), 10))
                echo = json.loads(await asyncio.wait_for(visitor.recv(), 10))
                agent_events = []
                while len(agent_events) < 2:
                    agent_events.append(json.loads(await asyncio.wait_for(agent.recv(), 10)))
                conversation = agent_events[1]["conversation_id"]
                reply = await asyncio.to_thread(
                    _post,
                    f"http://127.0.0.1:{ports[0]}/api/v1/conversations/{conversation}/messages",
                    ids["token"],
                    {"text": "Yes, two left."},
                )
                pushed = json.loads(await asyncio.wait_for(visitor.recv(), 15))
                return welcome, session, echo, agent_events, reply, pushed

        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            result = pool.submit(asyncio.run, scenario()).result(timeout=90)
        welcome, session, echo, agent_events, reply, pushed = result
        assert welcome["event"] == "welcome" and session["event"] == "session"
        assert echo["item"]["text"] == "Is XL in stock?"
        assert [e["event"] for e in agent_events] == ["conversation.created", "message.created"]
        assert agent_events[0]["channel"] == "webchat"
        assert agent_events[1]["message_id"] == echo["item"]["id"]
        assert pushed["event"] == "message" and pushed["item"]["id"] == reply["id"]
        assert pushed["item"]["text"] == "Yes, two left."
