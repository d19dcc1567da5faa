import pytest
from channels.testing import WebsocketCommunicator
from django.test import Client

from storedesk.config.asgi import application
from storedesk.conversations import services
from storedesk.core.testing import StoreFactory, committed_events, inbound, make_inbox


async def agent_socket(user, origin: bytes = b"http://localhost") -> WebsocketCommunicator:
    """A websocket to /ws/agent/ authenticated by ``user``'s real session cookie
    (not yet connected)."""
    from asgiref.sync import sync_to_async

    client = Client()
    await sync_to_async(client.force_login)(user)
    cookie = f"sessionid={client.cookies['sessionid'].value}".encode()
    return WebsocketCommunicator(
        application, "/ws/agent/", headers=[(b"cookie", cookie), (b"origin", origin)]
    )


@pytest.mark.django_db
def test_healthz_reports_configuration():
    response = Client().get("/healthz")
    body = response.json()
    assert response.status_code == 200
    assert body["status"] == "ok"
    assert body["database"]["vendor"] in {"sqlite", "postgresql"}
    assert body["queue"] in {"SqliteHuey", "PriorityRedisHuey", "MemoryHuey"}
    assert body["channel_layer"] == "InMemoryChannelLayer"


@pytest.mark.django_db(transaction=True)
def test_agent_socket_receives_only_visible_store_events():
    from asgiref.sync import async_to_sync, sync_to_async

    from storedesk.accounts.enums import Role
    from storedesk.core.testing import AgentFactory

    store_a = StoreFactory()
    store_b = StoreFactory()
    inbox_a, inbox_b = make_inbox(store_a), make_inbox(store_b)
    restricted = AgentFactory(role=Role.RESTRICTED, stores=[store_a])

    async def scenario():
        communicator = await agent_socket(restricted)
        connected, _ = await communicator.connect()
        assert connected
        assert await communicator.receive_json_from() == {"event": "hello", "stores": 1}

        def receive_in_both():
            with committed_events():
                services.message_receive(inbox=inbox_b, inbound=inbound("CANARY other store"))
            with committed_events():
                services.message_receive(inbox=inbox_a, inbound=inbound("visible"))

        await sync_to_async(receive_in_both)()
        # The two visible events arrive; then nothing else (the other store's never comes).
        seen = [await communicator.receive_json_from(timeout=5) for _ in range(2)]
        while not await communicator.receive_nothing(timeout=0.5):
            seen.append(await communicator.receive_json_from())
        await communicator.disconnect()
        return seen

    seen = async_to_sync(scenario)()
    assert {event["store_id"] for event in seen} == {store_a.pk}
    assert [event["event"] for event in seen] == ["conversation.created", "message.created"]


@pytest.mark.django_db(transaction=True)
def test_anonymous_socket_is_refused():
    from asgiref.sync import async_to_sync

    async def scenario():
        communicator = WebsocketCommunicator(
            application, "/ws/agent/", headers=[(b"origin", b"http://localhost")]
        )
        connected, code = await communicator.connect()
        return connected, code

    connected, code = async_to_sync(scenario)()
    assert not connected


@pytest.mark.django_db(transaction=True)
def test_foreign_origin_is_refused(agent):
    from asgiref.sync import async_to_sync

    async def scenario():
        communicator = await agent_socket(agent, origin=b"https://evil.example")
        connected, _ = await communicator.connect()
        return connected

    assert async_to_sync(scenario)() is False


@pytest.mark.django_db
def test_api_errors_outside_routes_are_json():
    missing = Client().get("/api/v1/no-such-thing")
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "not_found"
    wrong_method = Client().delete("/api/v1/contacts")
    assert wrong_method.status_code == 405
    assert wrong_method.json()["error"]["code"] == "method_not_allowed"
    assert "GET" in wrong_method["Allow"]
    # Pages outside the API keep their HTML.
    assert Client().get("/no-such-page").get("Content-Type", "").startswith("text/html")


@pytest.mark.django_db(transaction=True)
def test_presence_reaches_only_agents_who_may_see_the_conversation():
    from asgiref.sync import async_to_sync

    from storedesk.accounts.enums import Role
    from storedesk.core.testing import AgentFactory

    store_a, store_b = StoreFactory(), StoreFactory()
    conversation = services.message_receive(
        inbox=make_inbox(store_a), inbound=inbound("hello")
    ).conversation
    hidden = services.message_receive(
        inbox=make_inbox(store_b), inbound=inbound("secret")
    ).conversation
    ana = AgentFactory(username="ana-p", display_name="Ana")
    colleague = AgentFactory(username="ivo-p")
    outsider = AgentFactory(username="bpo-p", role=Role.RESTRICTED, stores=[store_b])

    async def socket_for(user):
        communicator = await agent_socket(user)
        connected, _ = await communicator.connect()
        assert connected
        await communicator.receive_json_from()  # hello
        return communicator

    async def scenario():
        ana_socket = await socket_for(ana)
        colleague_socket = await socket_for(colleague)
        outsider_socket = await socket_for(outsider)
        await ana_socket.send_json_to(
            {"type": "presence", "conversation_id": conversation.pk, "state": "typing"}
        )
        relayed = await colleague_socket.receive_json_from(timeout=5)
        outsider_heard = not await outsider_socket.receive_nothing(timeout=0.5)
        # The outsider announces itself on a conversation of a store it cannot see: dropped.
        await outsider_socket.send_json_to(
            {"type": "presence", "conversation_id": conversation.pk, "state": "viewing"}
        )
        await outsider_socket.send_json_to({"type": "presence", "conversation_id": "x"})
        leaked = not await colleague_socket.receive_nothing(timeout=0.5)
        # On its own store's conversation it is relayed to that store's agents (Ana sees all).
        await outsider_socket.send_json_to(
            {"type": "presence", "conversation_id": hidden.pk, "state": "viewing"}
        )
        ana_heard_hidden = not await ana_socket.receive_nothing(timeout=0.5)
        for socket in (ana_socket, colleague_socket, outsider_socket):
            await socket.disconnect()
        return relayed, outsider_heard, leaked, ana_heard_hidden

    relayed, outsider_heard, leaked, ana_heard_hidden = async_to_sync(scenario)()
    assert relayed == {
        "event": "presence",
        "conversation_id": conversation.pk,
        "store_id": store_a.pk,
        "agent_id": ana.pk,
        "agent_name": "Ana",
        "state": "typing",
    }
    assert outsider_heard is False
    assert leaked is False
    assert ana_heard_hidden is True  # unrestricted agents see every store, store B included
