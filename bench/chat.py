"""Live chat benchmark: idle visitor connections per server process, and visitor→agent
delivery latency across two processes through Redis.

Run from the storedesk virtualenv::

    python bench/chat.py                      # both phases, about 3 minutes
    python bench/chat.py --idle 8000          # more idle connections
    python bench/chat.py --skip-idle          # the latency phase only

Everything runs on loopback against PostgreSQL (database ``storedesk_chat_bench``, dropped
and created anew) and Redis (``--redis-url``, flushed), with ``storedesk serve`` processes
(uvicorn) using the Redis channel layer.

1. **Idle connections.** One ``storedesk serve`` process. The script opens ``--idle``
   visitor websockets to ``/ws/chat/<token>/`` (each says ``hello`` and gets its
   ``welcome``, as a widget on a shop page does before anyone writes) and holds them. It
   reports the server's resident memory before and after, and so per connection, then
   checks that a sample of the connections still answers a ping.
2. **Delivery latency.** Two ``storedesk serve`` processes, A and B, each with an agent's
   workspace socket (``/ws/agent/``, a real session). ``--chats`` visitors connect, half to
   each server; each starts a conversation, then every visitor writes a message every
   ``--interval`` seconds on average (random, Poisson) for ``--duration`` seconds. For each
   message the latency is the time from the visitor sending it until the agent socket on
   the *other* server receives its ``message.created`` event: every measured delivery goes
   visitor → server → PostgreSQL → Redis → the other server → agent.

Visitors come from distinct addresses as a reverse proxy would report them
(``X-Forwarded-For``, which uvicorn trusts from loopback), so the per-address rate limits
apply per visitor as in production. The client (this script, one asyncio loop) shares the
two cores with the servers, PostgreSQL and Redis. Results are printed and written as JSON
under ``bench/results/``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import os
import random
import resource
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from ingest import (  # noqa: E402 (the bench directory is not a package)
    HOST,
    PG_URL,
    REPO_DIR,
    RESULTS_DIR,
    Processes,
    free_port,
    log,
    percentile,
    pg_version,
    recreate_database,
    run_checked,
    wait_for_quiet,
    wait_ready,
)

DATABASE = "storedesk_chat_bench"
STOREDESK = [sys.executable, "-m", "storedesk.cli"]

SETUP = """
import json
from django.contrib.sessions.backends.db import SessionStore
from storedesk.accounts.services import agent_create
from storedesk.inboxes.services import inbox_create
from storedesk.stores.services import store_create
agent = agent_create(username="lead", password=None, role="admin", is_superuser=True)
store = store_create(name="Bench shop")
chat = inbox_create(store=store, kind="webchat", name="Chat")
session = SessionStore()
session["_auth_user_id"] = str(agent.pk)
session["_auth_user_backend"] = "django.contrib.auth.backends.ModelBackend"
session["_auth_user_hash"] = agent.get_session_auth_hash()
session.create()
print(json.dumps({"chat": chat.public_token, "session": session.session_key}))
"""


def raise_open_files_limit() -> int:
    """Allow as many open files as the hard limit permits (inherited by the servers)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def rss_bytes(pid: int) -> int:
    """Resident memory of a process and its children (uvicorn runs in the one process)."""
    total = 0
    for candidate in [pid, *_children(pid)]:
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{candidate}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) * 1024
    return total


def _children(pid: int) -> list[int]:
    with contextlib.suppress(OSError):
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
        return [int(p) for p in text.split()]
    return []


def visitor_address(n: int) -> str:
    return f"10.{(n >> 16) & 255}.{(n >> 8) & 255}.{n & 255}"


class Cluster:
    def __init__(self, args, logs: Path):
        self.args = args
        self.logs = logs
        self.processes = Processes()
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("STOREDESK_")},
            "STOREDESK_HOME": str(logs / "home"),
            "STOREDESK_DATABASE_URL": f"{PG_URL}/{DATABASE}",
            "STOREDESK_REDIS_URL": args.redis_url,
            "STOREDESK_LOG_LEVEL": "warning",
        }
        self.env.pop("DJANGO_SETTINGS_MODULE", None)

    def prepare(self) -> dict:
        import redis

        recreate_database(DATABASE)
        redis.Redis.from_url(self.args.redis_url).flushdb()
        run_checked([*STOREDESK, "migrate"], env=self.env, cwd=REPO_DIR)
        out = run_checked([*STOREDESK, "manage", "shell", "-c", SETUP], env=self.env, cwd=REPO_DIR)
        return json.loads(out.strip().splitlines()[-1])

    def serve(self, name: str) -> tuple[subprocess.Popen, int]:
        port = free_port()
        process = self.processes.start(
            [*STOREDESK, "serve", "--host", HOST, "--port", str(port)],
            env=self.env,
            cwd=REPO_DIR,
            log_path=self.logs / f"{name}.log",
        )
        wait_ready(process, port, "/healthz", {})
        return process, port


async def open_visitor(port: int, token: str, n: int, *, hello_timeout: float = 30):
    import websockets

    socket = await websockets.connect(
        f"ws://{HOST}:{port}/ws/chat/{token}/",
        additional_headers={
            "Origin": f"http://{HOST}:{port}",
            "X-Forwarded-For": visitor_address(n),
        },
        open_timeout=hello_timeout,
        ping_interval=None,
        max_queue=64,
    )
    await socket.send(json.dumps({"type": "hello", "token": None, "after_id": 0}))
    welcome = json.loads(await asyncio.wait_for(socket.recv(), hello_timeout))
    assert welcome["event"] == "welcome", welcome
    return socket


async def idle_phase(args, cluster: Cluster, ids: dict) -> dict:
    process, port = cluster.serve("idle-server")
    await asyncio.sleep(2)
    before = rss_bytes(process.pid)
    sockets, failures = [], 0
    started = time.monotonic()
    semaphore = asyncio.Semaphore(args.connect_concurrency)

    async def one(n: int):
        nonlocal failures
        async with semaphore:
            try:
                sockets.append(await open_visitor(port, ids["chat"], n))
            except Exception:
                failures += 1

    await asyncio.gather(*(one(n) for n in range(args.idle)))
    opened_in = time.monotonic() - started
    await asyncio.sleep(5)  # let the server settle before reading its memory
    after = rss_bytes(process.pid)
    sample = random.Random(1).sample(sockets, min(100, len(sockets)))
    alive = 0
    for socket in sample:
        with contextlib.suppress(Exception):
            await socket.send(json.dumps({"type": "ping"}))
            if json.loads(await asyncio.wait_for(socket.recv(), 10))["event"] == "pong":
                alive += 1
    await asyncio.gather(*(s.close() for s in sockets), return_exceptions=True)
    held = len(sockets)
    result = {
        "requested": args.idle,
        "held": held,
        "failed": failures,
        "open_seconds": round(opened_in, 1),
        "rss_before_mib": round(before / 2**20, 1),
        "rss_after_mib": round(after / 2**20, 1),
        "kib_per_connection": round((after - before) / max(held, 1) / 1024, 1),
        "ping_sample": len(sample),
        "ping_answered": alive,
    }
    cluster.processes.stop_all()
    return result


async def latency_phase(args, cluster: Cluster, ids: dict) -> dict:
    import websockets

    ports = [cluster.serve("server-a")[1], cluster.serve("server-b")[1]]
    sent_at: dict[tuple[int, str], float] = {}
    message_of: dict[tuple[int, str], int] = {}
    # Arrival at the agent socket of each server, by message id.
    agent_seen: list[dict[int, float]] = [{}, {}]
    refused: dict[str, int] = {}
    counting = False

    async def agent_socket(port: int):
        socket = await websockets.connect(
            f"ws://{HOST}:{port}/ws/agent/",
            additional_headers={
                "Cookie": f"sessionid={ids['session']}",
                "Origin": f"http://{HOST}:{port}",
            },
            ping_interval=None,
            max_queue=None,
        )
        assert json.loads(await socket.recv())["event"] == "hello"
        return socket

    agents = [await agent_socket(port) for port in ports]

    async def agent_reader(index: int):
        with contextlib.suppress(websockets.ConnectionClosed):
            async for raw in agents[index]:
                event = json.loads(raw)
                if event.get("event") == "message.created" and counting:
                    agent_seen[index].setdefault(event["message_id"], time.monotonic())

    tasks = [asyncio.create_task(agent_reader(i)) for i in range(2)]
    visitors = []
    semaphore = asyncio.Semaphore(args.connect_concurrency)

    async def connect(n: int):
        async with semaphore:
            visitors.append((n, await open_visitor(ports[n % 2], ids["chat"], n)))

    log(f"connecting {args.chats} visitors, half to each server")
    await asyncio.gather(*(connect(n) for n in range(args.chats)))

    async def visitor_reader(n: int, socket):
        with contextlib.suppress(Exception):
            async for raw in socket:
                event = json.loads(raw)
                if event.get("event") == "message" and event.get("client_key"):
                    message_of[(n, event["client_key"])] = event["item"]["id"]
                elif event.get("event") == "error":
                    refused[event.get("code", "?")] = refused.get(event.get("code", "?"), 0) + 1

    tasks += [asyncio.create_task(visitor_reader(n, s)) for n, s in visitors]

    async def write(n: int, socket, key: str, text: str):
        sent_at[(n, key)] = time.monotonic()
        await socket.send(json.dumps({"type": "message", "text": text, "client_key": key}))

    # Every visitor starts a conversation (not measured), spread out: starting one creates
    # a contact, a conversation and a visitor session, heavier than a message.
    log("starting the conversations")
    for n, socket in visitors:
        with contextlib.suppress(Exception):
            await write(n, socket, "start", f"Hello, visitor {n} here.")
        await asyncio.sleep(args.start_spacing)
    await asyncio.sleep(5)
    started = sum(1 for n, _ in visitors if (n, "start") in message_of)
    log(f"{started} conversations started; measuring for {args.duration:.0f} s")

    counting = True
    rng = random.Random(7)
    began = time.monotonic()
    client_pauses = ClientGcPauses(began)
    deadline = began + args.duration

    async def chatter(n: int, socket):
        seq = 0
        await asyncio.sleep(rng.uniform(0, args.interval))
        while time.monotonic() < deadline:
            seq += 1
            with contextlib.suppress(Exception):
                await write(n, socket, f"m{seq}", f"Question {seq} from visitor {n}")
            # The last pause ends at the deadline, not one long gap after it.
            pause = rng.expovariate(1 / args.interval)
            await asyncio.sleep(min(pause, max(0.0, deadline - time.monotonic())))

    await asyncio.gather(*(chatter(n, s) for n, s in visitors))
    sending_seconds = time.monotonic() - began
    await asyncio.sleep(args.drain)
    counting = False
    client_pauses.stop()

    # A visitor on server A is measured at the agent on server B and the other way round:
    # every measured delivery crosses from one process to the other through Redis.
    latencies, lost, timeline = [], 0, []
    measured = [k for k in sent_at if k[1] != "start"]
    for n, key in measured:
        message_id = message_of.get((n, key))
        arrived = agent_seen[1 - n % 2].get(message_id) if message_id else None
        if arrived is None:
            lost += 1
        else:
            latencies.append(arrived - sent_at[(n, key)])
            timeline.append((sent_at[(n, key)] - began, arrived - sent_at[(n, key)], n % 2))
    # When the slowest deliveries were sent, and from which server: stalls that hit many
    # messages at once show up as one moment.
    slowest = sorted(timeline, key=lambda t: -t[1])[:15]
    for task in tasks:
        task.cancel()
    await asyncio.gather(*(a.close() for a in agents), return_exceptions=True)
    await asyncio.gather(*(s.close() for _, s in visitors), return_exceptions=True)
    cluster.processes.stop_all()
    ms = [round(1000 * v, 1) for v in latencies]
    return {
        "chats": args.chats,
        "measuring_began_unix": round(time.time() - (time.monotonic() - began), 3),
        "conversations_started": started,
        "interval_s": args.interval,
        "sending_seconds": round(sending_seconds, 1),
        "messages": len(measured),
        "messages_per_s": round(len(measured) / sending_seconds, 1),
        "delivered_to_agent": len(latencies),
        "not_delivered_within_drain": lost,
        "refused_by_code": refused,
        "p50_ms": percentile(ms, 50),
        "p95_ms": percentile(ms, 95),
        "p99_ms": percentile(ms, 99),
        "max_ms": max(ms) if ms else None,
        "slowest": [
            {"sent_at_s": round(at, 2), "ms": round(1000 * d, 1), "visitor_server": "AB"[side]}
            for at, d, side in sorted(slowest)
        ],
        # The client's own garbage-collection pauses delay its reading of every socket, so
        # they show up as latency; listed so a slow moment can be told apart from the servers.
        "client_gc_pauses": client_pauses.summary(),
    }


class ClientGcPauses:
    """Records this process's garbage-collection pauses (start, duration) while measuring."""

    def __init__(self, origin: float):
        self.origin, self.pauses, self._start = origin, [], 0.0
        gc.callbacks.append(self._callback)

    def _callback(self, phase: str, info: dict) -> None:
        if phase == "start":
            self._start = time.monotonic()
        else:
            self.pauses.append((self._start - self.origin, time.monotonic() - self._start, info))

    def stop(self) -> None:
        gc.callbacks.remove(self._callback)

    def summary(self) -> dict:
        long = [p for p in self.pauses if p[1] >= 0.02]
        return {
            "count": len(self.pauses),
            "total_ms": round(1000 * sum(p[1] for p in self.pauses), 1),
            "max_ms": round(1000 * max((p[1] for p in self.pauses), default=0), 1),
            "over_20_ms": [
                {"at_s": round(at, 2), "ms": round(1000 * d, 1), "generation": i["generation"]}
                for at, d, i in long
            ],
        }


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--idle", type=int, default=5000, help="idle connections to hold")
    parser.add_argument("--chats", type=int, default=1000, help="active chats (phase 2)")
    parser.add_argument("--interval", type=float, default=30.0, help="mean s between messages")
    parser.add_argument("--duration", type=float, default=40.0, help="measured seconds")
    parser.add_argument("--drain", type=float, default=5.0, help="s to wait for stragglers")
    parser.add_argument(
        "--start-spacing", type=float, default=0.03, help="s between conversation starts"
    )
    parser.add_argument("--connect-concurrency", type=int, default=100)
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/12")
    parser.add_argument("--skip-idle", action="store_true")
    parser.add_argument("--skip-latency", action="store_true")
    parser.add_argument("--quiet-wait", type=float, default=60.0)
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    run_id = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    logs = RESULTS_DIR / f"chat-{run_id}-logs"
    logs.mkdir(parents=True, exist_ok=True)
    limit = raise_open_files_limit()
    if limit < args.idle + 200:
        log(f"open-files limit is {limit}: fewer than {args.idle} connections can be held")
    cluster = Cluster(args, logs)
    report = {
        "benchmark": "bench/chat.py",
        "started": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "cores": os.cpu_count(),
            "postgresql": pg_version(),
            "open_files_limit": limit,
        },
    }
    try:
        ids = cluster.prepare()
        report["cpu_in_use_before_pct"] = wait_for_quiet(args.quiet_wait)
        if not args.skip_idle:
            log(f"phase 1: {args.idle} idle visitor connections to one server")
            report["idle"] = asyncio.run(idle_phase(args, cluster, ids))
            log(json.dumps(report["idle"]))
        if not args.skip_latency:
            log(f"phase 2: {args.chats} chats on server B, the agent on server A")
            report["latency"] = asyncio.run(latency_phase(args, cluster, ids))
            log(json.dumps(report["latency"]))
    finally:
        cluster.processes.stop_all()
    out = RESULTS_DIR / f"chat-{run_id}.json"
    out.write_text(json.dumps(report, indent=2))
    print(json.dumps(report, indent=2))
    log(f"written to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
