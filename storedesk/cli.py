"""The ``storedesk`` command.

``storedesk demo`` sets up everything in a home directory (SQLite, secret key, demo data,
admin user) and runs the server with the worker in-process. Other subcommands run one part
each, for production layouts: ``serve`` (ASGI) on N machines, ``worker`` on M.
"""

from __future__ import annotations

import argparse
import os
import secrets
import socket
import sys
from pathlib import Path


def _setup_django(home: str | None = None) -> None:
    if home:
        os.environ["STOREDESK_HOME"] = str(Path(home).resolve())
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "storedesk.config.settings")
    Path(os.environ.get("STOREDESK_HOME", "var")).mkdir(parents=True, exist_ok=True)
    import django

    django.setup()
    from storedesk.core.i18n import compile_project_translations

    compile_project_translations()


def _migrate(verbosity: int = 0) -> None:
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=verbosity)


def _admin_password_file() -> Path:
    from django.conf import settings

    return settings.HOME / "admin-password.txt"


def ensure_admin(username: str = "admin") -> tuple[str, str | None]:
    """Create the admin user with a generated password if missing. Returns the username and
    the password (kept, readable only by this user, in the home directory for the demo)."""
    from storedesk.accounts.enums import Role
    from storedesk.accounts.models import Agent
    from storedesk.accounts.services import agent_create

    password_file = _admin_password_file()
    if Agent.objects.filter(username=username).exists():
        password = password_file.read_text().strip() if password_file.exists() else None
        return username, password
    password = secrets.token_urlsafe(12)
    agent_create(
        username=username,
        password=password,
        role=Role.ADMIN,
        display_name="Administrator",
        is_superuser=True,
    )
    fd = os.open(password_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(password + "\n")
    return username, password


class _InProcessConsumer:
    """The huey consumer on threads inside the server process (embedded mode)."""

    def __init__(self, workers: int = 2):
        from django.utils.module_loading import autodiscover_modules
        from huey.consumer import Consumer
        from huey.contrib.djhuey import HUEY

        # As ``run_huey`` does: every app's tasks (and periodic tasks) must be registered
        # before the consumer reads a task that another process enqueued.
        autodiscover_modules("tasks")

        class ThreadConsumer(Consumer):
            def _set_signal_handlers(self):  # the server owns the signals
                pass

        self.consumer = ThreadConsumer(
            HUEY, workers=workers, worker_type="thread", periodic=True, check_worker_health=False
        )

    def start(self) -> None:
        self.consumer.start()

    def stop(self) -> None:
        self.consumer.stop(graceful=True)


def _freeze_startup_objects() -> None:
    """Move every object alive now (modules, settings, URL patterns, models' metadata) out
    of the garbage collector's reach. They live as long as the process, yet each full
    collection walked all of them: with a few hundred chat sockets open, a server stalled
    for about 200 ms every few tens of seconds, which was the whole tail of chat latency."""
    import gc

    from django.urls import get_resolver

    get_resolver().resolve("/healthz")  # build the URL resolver's caches first
    gc.collect()
    gc.freeze()


def _run_server(host: str, port: int, *, with_worker: bool, workers: int = 2) -> None:
    import uvicorn

    from storedesk.config.asgi import application

    _freeze_startup_objects()
    consumer = _InProcessConsumer(workers) if with_worker else None
    if consumer:
        consumer.start()
    config = uvicorn.Config(
        application,
        host=host,
        port=port,
        lifespan="off",
        log_level=os.environ.get("STOREDESK_LOG_LEVEL", "info").lower(),
        proxy_headers=True,
        ws="websockets-sansio",
    )
    try:
        uvicorn.Server(config).run()
    finally:
        if consumer:
            consumer.stop()


def _free_port(host: str, preferred: int) -> int:
    with socket.socket() as probe:
        try:
            probe.bind((host, preferred))
            return preferred
        except OSError:
            probe.bind((host, 0))
            return probe.getsockname()[1]


def _warm_up_assistant() -> None:
    """Load (or, the first time, train for about 15 s) the assistant's intent model in the
    background, so the first chat is answered at once."""
    import threading

    from storedesk.assistant.understanding import default_model

    threading.Thread(target=default_model, name="assistant-warm-up", daemon=True).start()


def cmd_demo(args) -> int:
    _setup_django(args.home)
    from django.conf import settings

    from storedesk.demo.loader import demo_loaded, load_demo

    print(f"storedesk home: {settings.HOME}")
    print("Migrating the database ...", flush=True)
    _migrate()
    if not demo_loaded():
        print(
            "Loading demo data (two stores, agents, contacts, orders, conversations) ...",
            flush=True,
        )
        summary = load_demo()
        print(f"  {summary}")
    username, password = ensure_admin()
    port = _free_port(args.host, args.port)
    all_interfaces = args.host in {"0.0.0.0", "::"}  # noqa: S104
    base = f"http://{'127.0.0.1' if all_interfaces else args.host}:{port}"
    if not settings.PUBLIC_URL:
        settings.PUBLIC_URL = base
    _warm_up_assistant()
    print()
    print("storedesk is running.")
    print(f"  Workspace:   {base}/login/")
    print(f"  Demo shop:   {base}/demo-shop/  (the chat widget)")
    print(f"  Admin:       {base}/admin/")
    print(f"  API docs:    {base}/api/v1/docs")
    print(f"  Health:      {base}/healthz")
    print(f"  Sign in as:  {username} / {password or '(password set earlier)'}")
    print("Press Ctrl-C to stop.", flush=True)
    _run_server(args.host, port, with_worker=True)
    return 0


def cmd_serve(args) -> int:
    _setup_django(args.home)
    if args.migrate:
        _migrate()
    _run_server(args.host, args.port, with_worker=args.with_worker)
    return 0


def cmd_worker(args) -> int:
    _setup_django(args.home)
    from django.core.management import call_command

    _freeze_startup_objects()
    _warm_up_assistant()
    call_command("run_huey", workers=args.workers, worker_type="thread")
    return 0


def cmd_smtpd(args) -> int:
    _setup_django(args.home)
    import signal
    import threading

    from storedesk.inboxes.adapters.email.smtpd import make_controller

    options = {"size_limit": args.size_limit} if args.size_limit else {}
    controller = make_controller(args.host, args.port, **options)
    controller.start()
    print(f"storedesk SMTP receiver on {args.host}:{args.port} (Ctrl-C to stop)", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        stop.wait()
    except KeyboardInterrupt:
        pass
    finally:
        controller.stop()
    return 0


def _poll_summary(result) -> str:
    notes = [f"{result.stored} new", f"{result.fetched} read"]
    if result.truncated:
        notes.append(f"{result.truncated} over the size limit, stored truncated")
    if result.uidvalidity_changed:
        notes.append("the folder's UIDVALIDITY changed: read from the start")
    if result.more:
        notes.append("more waiting: the next poll continues")
    return ", ".join(notes)


def cmd_imap_poll(args) -> int:
    """Poll IMAP mailboxes now (one inbox, or every one with IMAP enabled) and print what
    happened. Exit status 1 if a poll failed, 2 for an unknown inbox."""
    _setup_django(args.home)
    from storedesk.core.errors import DomainError
    from storedesk.inboxes.imap_services import mailbox_poll_now, polled_inbox_ids
    from storedesk.inboxes.models import Inbox

    if args.inbox and not Inbox.objects.filter(pk=args.inbox).exists():
        print(f"error: no inbox with id {args.inbox}", file=sys.stderr)
        return 2
    inbox_ids = [args.inbox] if args.inbox else polled_inbox_ids()
    if not inbox_ids:
        print("No active email inbox has IMAP polling enabled.")
        return 0
    failed = False
    for inbox in Inbox.objects.filter(pk__in=inbox_ids).order_by("id"):
        label = f"inbox {inbox.pk} ({inbox.name})"
        try:
            result = mailbox_poll_now(inbox=inbox)
        except DomainError as exc:
            print(f"{label}: {exc.message}", file=sys.stderr)
            failed = True
            continue
        if result.ok:
            print(f"{label}: ok, {_poll_summary(result)}")
        else:
            print(f"{label}: FAILED: {result.error}", file=sys.stderr)
            failed = True
    return 1 if failed else 0


def cmd_helpcenter_import(args) -> int:
    _setup_django(args.home)
    from storedesk.helpcenter.commands import import_command

    return import_command(args.file, args.store, draft=args.draft)


def cmd_helpcenter_search(args) -> int:
    _setup_django(args.home)
    from storedesk.helpcenter.commands import search_command

    return search_command(
        args.query, args.store, locale=args.locale, as_json=args.json, limit=args.limit
    )


def cmd_assistant_classify(args) -> int:
    _setup_django(args.home)
    from storedesk.assistant.commands import classify_command

    return classify_command(args.text, as_json=args.json)


def cmd_assistant_eval(args) -> int:
    _setup_django(args.home)
    from storedesk.assistant.commands import eval_command

    return eval_command(args.file)


def cmd_search_reindex(args) -> int:
    _setup_django(args.home)
    from storedesk.search.commands import reindex_command

    return reindex_command(store_slug=args.store)


def cmd_analytics_refresh(args) -> int:
    _setup_django(args.home)
    from storedesk.analytics.commands import refresh_command

    return refresh_command(rebuild=args.rebuild, signal_seconds=args.signals)


def cmd_migrate(args) -> int:
    _setup_django(args.home)
    _migrate(verbosity=1)
    return 0


def cmd_createadmin(args) -> int:
    _setup_django(args.home)
    from storedesk.accounts.enums import Role
    from storedesk.accounts.services import agent_create
    from storedesk.core.errors import DomainError

    password = args.password or secrets.token_urlsafe(12)
    try:
        agent_create(
            username=args.username,
            password=password,
            email=args.email or "",
            role=Role.ADMIN,
            is_superuser=True,
        )
    except DomainError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 2
    print(
        f"Created admin {args.username}" + ("" if args.password else f" with password {password}")
    )
    return 0


def cmd_loaddemo(args) -> int:
    _setup_django(args.home)
    from storedesk.demo.loader import demo_loaded, load_demo

    _migrate()
    if demo_loaded() and not args.force:
        print("Demo data is already loaded (use --force to add it again).")
        return 0
    print(load_demo(seed=args.seed))
    return 0


def cmd_token(args) -> int:
    _setup_django(args.home)
    from storedesk.accounts.models import Agent
    from storedesk.accounts.services import api_token_create

    agent = Agent.objects.filter(username=args.user, is_active=True).first()
    if agent is None:
        print(f"error: no active agent named {args.user!r}", file=sys.stderr)
        return 2
    _, secret = api_token_create(agent=agent, name=args.name)
    print(secret)
    return 0


def cmd_manage(args) -> int:
    _setup_django(args.home)
    from django.core.management import execute_from_command_line

    execute_from_command_line(["storedesk manage", *args.rest])
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="storedesk", description=__doc__.splitlines()[0])
    parser.add_argument("--home", help="data directory (default: $STOREDESK_HOME or ./var)")
    sub = parser.add_subparsers(dest="command", required=True)

    def add(name, func, help_text):
        command = sub.add_parser(name, help=help_text)
        command.add_argument(
            "--home",
            default=argparse.SUPPRESS,
            help="data directory (default: $STOREDESK_HOME or ./var)",
        )
        command.set_defaults(func=func)
        return command

    demo = add("demo", cmd_demo, "set up and run everything on SQLite with demo data")
    demo.add_argument("--host", default="127.0.0.1")
    demo.add_argument("--port", type=int, default=8000)

    serve = add("serve", cmd_serve, "run the ASGI server (HTTP and websockets)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--with-worker", action="store_true", help="also run the worker")
    serve.add_argument("--migrate", action="store_true", help="migrate before starting")

    worker = add("worker", cmd_worker, "run the background worker (huey consumer)")
    worker.add_argument("--workers", type=int, default=4)

    smtpd = add("smtpd", cmd_smtpd, "receive mail for the email inboxes by SMTP")
    smtpd.add_argument("--host", default="127.0.0.1")
    smtpd.add_argument("--port", type=int, default=2525)
    smtpd.add_argument(
        "--size-limit",
        type=int,
        default=None,
        help="largest message accepted, in bytes (default 40 MiB)",
    )

    imap = add("imap", None, "IMAP polling of email inboxes")
    imap_sub = imap.add_subparsers(dest="imap_command", required=True)
    imap_poll = imap_sub.add_parser("poll", help="poll the mailboxes now and show the result")
    imap_poll.add_argument("--inbox", type=int, help="only this inbox (id)")
    imap_poll.add_argument("--home", default=argparse.SUPPRESS)
    imap_poll.set_defaults(func=cmd_imap_poll)

    helpcenter = add("helpcenter", None, "help-center articles")
    helpcenter_sub = helpcenter.add_subparsers(dest="helpcenter_command", required=True)
    hc_import = helpcenter_sub.add_parser(
        "import", help='load a JSON array of {"slug", "title", "body", "locale"?, "category"?}'
    )
    hc_import.add_argument("file")
    hc_import.add_argument("--store", required=True, help="store slug (created if missing)")
    hc_import.add_argument("--draft", action="store_true", help="save as drafts, unpublished")
    hc_import.add_argument("--home", default=argparse.SUPPRESS)
    hc_import.set_defaults(func=cmd_helpcenter_import)
    hc_search = helpcenter_sub.add_parser("search", help="search the published articles")
    hc_search.add_argument("query")
    hc_search.add_argument("--store", required=True)
    hc_search.add_argument("--locale", help="the reader's language (default: detected)")
    hc_search.add_argument("--json", action="store_true", help="print the hits as JSON")
    hc_search.add_argument("--limit", type=int, default=10)
    hc_search.add_argument("--home", default=argparse.SUPPRESS)
    hc_search.set_defaults(func=cmd_helpcenter_search)

    assistant = add("assistant", None, "the assistant's understanding of messages")
    assistant_sub = assistant.add_subparsers(dest="assistant_command", required=True)
    classify = assistant_sub.add_parser("classify", help="the intent and language of a text")
    classify.add_argument("text")
    classify.add_argument("--json", action="store_true", help='print {"intent", ...} as JSON')
    classify.add_argument("--home", default=argparse.SUPPRESS)
    classify.set_defaults(func=cmd_assistant_classify)
    evaluate = assistant_sub.add_parser(
        "eval", help="accuracy on a TSV of text and intent (other columns: groups)"
    )
    evaluate.add_argument("file")
    evaluate.add_argument("--home", default=argparse.SUPPRESS)
    evaluate.set_defaults(func=cmd_assistant_eval)

    search = add("search", None, "the search index")
    search_sub = search.add_subparsers(dest="search_command", required=True)
    reindex = search_sub.add_parser("reindex", help="rebuild the search index, with progress")
    reindex.add_argument("--store", help="only this store (slug)")
    reindex.add_argument("--home", default=argparse.SUPPRESS)
    reindex.set_defaults(func=cmd_search_reindex)

    analytics = add("analytics", None, "the reports' facts and rollups")
    analytics_sub = analytics.add_subparsers(dest="analytics_command", required=True)
    refresh = analytics_sub.add_parser(
        "refresh", help="fold changed conversations into the reports now, and print what was done"
    )
    refresh.add_argument("--rebuild", action="store_true", help="forget everything and rebuild")
    refresh.add_argument(
        "--signals",
        type=float,
        default=None,
        metavar="SECONDS",
        help="time to spend reading new first messages (default: the configured budget)",
    )
    refresh.add_argument("--home", default=argparse.SUPPRESS)
    refresh.set_defaults(func=cmd_analytics_refresh)

    add("migrate", cmd_migrate, "create or update the database tables")

    createadmin = add("createadmin", cmd_createadmin, "create an administrator")
    createadmin.add_argument("--username", default="admin")
    createadmin.add_argument("--email")
    createadmin.add_argument("--password", help="default: generated and printed")

    loaddemo = add("loaddemo", cmd_loaddemo, "load the deterministic demo data")
    loaddemo.add_argument("--seed", type=int, default=7)
    loaddemo.add_argument("--force", action="store_true")

    token = add("token", None, "manage API tokens")
    token_sub = token.add_subparsers(dest="token_command", required=True)
    token_create = token_sub.add_parser("create", help="create a token and print it once")
    token_create.add_argument("--user", required=True)
    token_create.add_argument("--name", default="cli")
    token_create.add_argument("--home", default=argparse.SUPPRESS)
    token_create.set_defaults(func=cmd_token)

    manage = add("manage", cmd_manage, "run a Django management command")
    manage.add_argument("rest", nargs=argparse.REMAINDER)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args) or 0
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
