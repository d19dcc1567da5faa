"""Server time of the agent workspace pages at scale (PostgreSQL).

Fills a fresh database with ``--rows`` conversations (default 100,000), then renders the
inbox page (several views) and the conversation page in-process through Django's test
client as a signed-in administrator, and prints p50/p95 server time and the query count of
each page. Timing is server time: the full Django stack (middleware, views, queries,
templates), without network.

    .venv/bin/python bench/workspace_pages.py [--rows 100000] [--requests 200]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/storedesk_pages"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def setup_django(database_url: str) -> None:
    os.environ["STOREDESK_DATABASE_URL"] = database_url
    os.environ.setdefault("STOREDESK_HOME", tempfile.mkdtemp(prefix="storedesk-bench-"))
    os.environ["STOREDESK_ALLOWED_HOSTS"] = "testserver,localhost"
    os.environ["DJANGO_SETTINGS_MODULE"] = "storedesk.config.settings"
    os.environ.setdefault("STOREDESK_LOG_LEVEL", "WARNING")
    import django

    django.setup()


def recreate_database(database_url: str) -> None:
    import psycopg

    name = database_url.rsplit("/", 1)[1]
    admin_url = database_url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')


def fill(rows: int, seed: int = 11) -> dict:
    """Bulk-insert ``rows`` conversations with one inbound message each (test data, not the
    chokepoints: those are measured by bench/ingest.py)."""
    from django.core.management import call_command
    from django.utils import timezone

    from storedesk.accounts.services import agent_create, team_create
    from storedesk.contacts.models import Contact, ContactIdentity
    from storedesk.conversations.models import Conversation, Message
    from storedesk.core.testing import make_inbox
    from storedesk.stores.services import store_create

    call_command("migrate", verbosity=0)
    rng = random.Random(seed)
    now = timezone.now()
    stores = [store_create(name="Jadran Fashion"), store_create(name="Voltway Electronics")]
    inboxes = [
        make_inbox(s, kind, f"{s.name} {kind}") for s in stores for kind in ("api", "webform")
    ]
    admin = agent_create(
        username="admin", password="bench-pass-123", role="admin", is_superuser=True
    )
    agents = [agent_create(username=f"agent{i}", password=None) for i in range(8)] + [admin]
    team = team_create(name="Tier 1", members=agents)
    contacts = Contact.objects.bulk_create(
        [
            Contact(store=stores[i % 2], name=f"Customer {i}", email=f"c{i}@example.com")
            for i in range(rows // 10)
        ],
        batch_size=5000,
    )
    ContactIdentity.objects.bulk_create(
        [
            ContactIdentity(store_id=c.store_id, contact=c, kind="email", external_id=c.email)
            for c in contacts
        ],
        batch_size=5000,
    )
    statuses = ["open"] * 2 + ["pending", "snoozed"] + ["resolved"] * 16
    batch = 10_000
    for start in range(0, rows, batch):
        conversations = []
        for index in range(start, min(rows, start + batch)):
            contact = contacts[index % len(contacts)]
            inbox = inboxes[(contact.store_id - stores[0].pk) * 2 + index % 2]
            created = now - timedelta(minutes=rng.randint(1, 60 * 24 * 120))
            status = rng.choice(statuses)
            conversations.append(
                Conversation(
                    store_id=contact.store_id,
                    inbox=inbox,
                    contact=contact,
                    subject=f"Question {index} about order FA{1000000 + index}",
                    status=status,
                    priority=rng.choice((1, 1, 1, 2, 3)),
                    assignee=rng.choice(agents + [None] * 3),
                    team=team if index % 3 else None,
                    created_at=created,
                    last_message_at=created,
                    last_customer_message_at=created,
                    waiting_since=created if status == "open" else None,
                    resolved_at=created + timedelta(hours=3) if status == "resolved" else None,
                    snoozed_until=now + timedelta(days=1) if status == "snoozed" else None,
                    message_count=1,
                    preview="Where is my order? It was supposed to arrive.",
                    language=rng.choice(("en", "hr", "zh-hans")),
                )
            )
        Conversation.objects.bulk_create(conversations, batch_size=5000)
        Message.objects.bulk_create(
            [
                Message(
                    conversation=c,
                    store_id=c.store_id,
                    inbox_id=c.inbox_id,
                    kind="inbound",
                    sender_type="contact",
                    sender_contact_id=c.contact_id,
                    text="Where is my order? It was supposed to arrive.",
                    delivery_status="received",
                    created_at=c.created_at,
                    external_id=f"bench-{c.pk}",
                )
                for c in conversations
            ],
            batch_size=5000,
        )
    # One long thread, as agents meet them: 40 messages back and forth.
    busy = Conversation.objects.filter(status="open").order_by("id").first()
    Message.objects.bulk_create(
        [
            Message(
                conversation=busy,
                store_id=busy.store_id,
                inbox_id=busy.inbox_id,
                kind="inbound" if i % 2 else "outbound",
                sender_type="contact" if i % 2 else "agent",
                sender_contact_id=busy.contact_id if i % 2 else None,
                sender_agent=None if i % 2 else admin,
                text=f"Message {i} of a long thread.",
                delivery_status="received" if i % 2 else "sent",
                created_at=busy.created_at + timedelta(minutes=i),
            )
            for i in range(40)
        ]
    )
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return {"admin_id": admin.pk, "busy_id": busy.pk}


def measure(client, path: str, requests: int) -> dict:
    from django.db import connection

    for _ in range(3):  # warm caches and the connection
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)
    queries = []

    def count(execute, sql, params, many, context):
        queries.append(sql)
        return execute(sql, params, many, context)

    # An execute wrapper, not CaptureQueriesContext: the request resets the query log.
    with connection.execute_wrapper(count):
        client.get(path)
    timings = []
    for _ in range(requests):
        started = time.perf_counter()
        response = client.get(path)
        timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200
    return {
        "path": path,
        "p50_ms": round(percentile(timings, 50), 1),
        "p95_ms": round(percentile(timings, 95), 1),
        "mean_ms": round(statistics.mean(timings), 1),
        "queries": len(queries),
        "bytes": len(response.content),
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--keep", action="store_true", help="reuse the filled database")
    args = parser.parse_args(argv)

    if not args.keep:
        recreate_database(args.database_url)
    setup_django(args.database_url)
    from django.test import Client

    from storedesk.accounts.models import Agent
    from storedesk.conversations.models import Conversation

    started = time.perf_counter()
    if args.keep and Conversation.objects.exists():
        ids = {
            "admin_id": Agent.objects.get(username="admin").pk,
            "busy_id": Conversation.objects.filter(status="open").order_by("id").first().pk,
        }
    else:
        ids = fill(args.rows)
    fill_seconds = time.perf_counter() - started
    total = Conversation.objects.count()

    client = Client()
    client.force_login(Agent.objects.get(pk=ids["admin_id"]))
    sample = list(Conversation.objects.order_by("?").values_list("id", flat=True)[:1])
    pages = [
        ("inbox: all open (default)", "/inbox/"),
        ("inbox: mine", "/inbox/?view=mine"),
        ("inbox: all conversations", "/inbox/?view=all"),
        ("inbox: resolved, newest", "/inbox/?view=resolved&sort=newest"),
        ("inbox: filtered (store, language)", "/inbox/?view=all&store=1&language=hr"),
        ("conversation: 41 messages", f"/c/{ids['busy_id']}/"),
        ("conversation: random", f"/c/{sample[0]}/"),
    ]
    results = []
    for label, path in pages:
        result = measure(client, path, args.requests)
        result["page"] = label
        results.append(result)

    from django.db import connection

    print(
        f"storedesk workspace pages — {total:,} conversations on "
        f"{connection.vendor} {getattr(connection, 'pg_version', '')}, "
        f"{args.requests} requests each; fill took {fill_seconds:.0f} s"
    )
    print(f"{'page':38} {'p50 ms':>8} {'p95 ms':>8} {'queries':>8}")
    for r in results:
        print(f"{r['page']:38} {r['p50_ms']:8.1f} {r['p95_ms']:8.1f} {r['queries']:8d}")
    out = Path(__file__).parent / "results"
    out.mkdir(exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    (out / f"workspace-pages-{stamp}.json").write_text(
        json.dumps({"rows": total, "requests": args.requests, "results": results}, indent=2)
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
