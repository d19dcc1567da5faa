"""Ingest and inbox-list benchmark: storedesk next to django-helpdesk 2.6.1.

Run from the storedesk virtualenv::

    python bench/ingest.py                     # both systems, about 5-8 minutes
    python bench/ingest.py --skip-peer         # storedesk only, about 2 minutes

For each system, on PostgreSQL at 127.0.0.1:5432 (databases ``storedesk_bench`` and
``helpdesk_bench``, dropped and created anew on every run):

1. Ingest. storedesk runs as ``--servers`` (default 2, one per core) ``storedesk serve``
   processes, each uvicorn on its own port with no balancer in front; the ``--clients``
   client threads (default 8, each with one keep-alive connection) are spread over the ports
   round robin. The queue and the channel layer are Redis (``--redis-url``); no worker runs
   (each message's search indexing is queued and left there). Each client POSTs customer
   messages to ``POST /api/v1/conversations`` (an ``api`` inbox) for ``--duration`` seconds
   after ``--warmup`` seconds that are not counted; every customer sends
   ``--messages-per-contact`` messages, 200 requests apart, so most messages thread into an
   existing conversation. Latency is
   measured by the client for each request; errors are non-2xx answers and failed requests.
   django-helpdesk gets the same load on ``POST /api/tickets/`` (one ticket per message).
   Then storedesk's servers get the same load on ``GET /healthz`` for ``--floor-duration``
   seconds: the CPU any request costs them before its own work (the floor).
2. Inbox list. The servers are restarted, the table is topped up to ``--rows`` rows with the
   ORM's ``bulk_create`` (test data: 40 % open, the rest pending, snoozed or resolved;
   contacts, assignees, teams and tags for storedesk, one follow-up per ticket for
   django-helpdesk), ``ANALYZE`` is run, then one client times the default open list
   (storedesk ``GET /api/v1/conversations?status=open``, waiting longest first;
   django-helpdesk ``GET /api/tickets/?status=1``) and the every-status list. The SQL
   queries of one open-list request are counted in-process (Django test client, with
   ``CaptureQueriesContext`` and an execute wrapper) at about 1,000 rows and at ``--rows``
   rows; for storedesk the JSON also holds their SQL and ``EXPLAIN ANALYZE``.

django-helpdesk is installed by this script into its own virtualenv under ``bench/.peer/``
(pinned to the Django, psycopg and uvicorn versions of storedesk's virtualenv), with a minimal
Django project generated there at run time. By default it runs as it is usually deployed,
under gunicorn (WSGI, ``--servers`` workers with ``--clients / --servers`` threads each,
``CONN_MAX_AGE`` 60); ``--peer-server uvicorn --peer-conn-max-age 0`` gives it storedesk's
layout instead. It authenticates with DRF tokens (its default basic auth would hash a
password on every request) and its mail goes to Django's dummy backend.

The machine's two cores are shared by the servers, PostgreSQL and the client, so anything
else running skews the numbers: before each timed phase the script waits (at most
``--quiet-wait`` seconds) for the CPU to be idle, and it reports where the CPU time of each
load went (server processes, PostgreSQL, client, other processes, and processes that did not
live through the window, such as per-request database backends). The storedesk code measured
is the one Python imports (``PYTHONPATH`` can point at an exported commit); the JSON records
its path and commit. ``DJANGO_SETTINGS_MODULE``, when set, replaces storedesk's settings
module, to measure a configuration change before making it.

Only 127.0.0.1 is contacted. Every loop is bounded in time; the servers are stopped (their
whole process groups) on exit. Results are printed as a table and written as JSON under
``bench/results/``, with the server logs beside it. Nothing here asserts: it prints numbers.

The same file also runs as a helper inside each system's Python (``--helper NAME``); only
the standard library is imported at the top for that reason.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import itertools
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
REPO_DIR = BENCH_DIR.parent
PEER_DIR = BENCH_DIR / ".peer"
RESULTS_DIR = BENCH_DIR / "results"
HOST = "127.0.0.1"
PG_URL = "postgres://postgres@127.0.0.1:5432"
PEER_VERSION = "2.6.1"
# Share of rows per status in the bulk-inserted data. The open share is what the list reads.
STORE_STATUS_WEIGHTS = {"open": 40, "pending": 15, "snoozed": 5, "resolved": 40}
PEER_STATUS_WEIGHTS = {1: 40, 2: 5, 3: 15, 4: 40}  # Open, Reopened, Resolved, Closed
FILL_BATCH = 5_000
OPEN_LIST = "/api/v1/conversations?status=open"  # the default inbox view: open, waiting first
ALL_LIST = "/api/v1/conversations"  # every status, same sort
PEER_OPEN_LIST = "/api/tickets/?status=1"  # django-helpdesk's open tickets
PEER_ALL_LIST = "/api/tickets/"


# --- Small utilities -----------------------------------------------------------------------


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def percentile(values: list[float], q: float) -> float | None:
    """Linear-interpolated percentile (q in 0..100) of ``values``."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def customer_of(seq: int, per_contact: int, window: int = 200) -> int:
    """The customer sending message ``seq``: ``per_contact`` messages each, ``window``
    requests apart, so that threads form without every client hitting the same customer's
    row lock at the same moment (a burst no real traffic has)."""
    return (seq // (per_contact * window)) * window + seq % window


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def ms(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds * 1000, 1)


class Processes:
    """Servers started by the bench; each in its own process group, stopped as a group."""

    def __init__(self):
        self.running: list[subprocess.Popen] = []

    def start(self, args: list[str], *, env: dict, cwd: Path, log_path: Path):
        handle = open(log_path, "ab")  # noqa: SIM115 - closed with the process
        process = subprocess.Popen(
            args,
            env=env,
            cwd=cwd,
            stdout=handle,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        process.log_handle = handle
        process.log_path = log_path
        self.running.append(process)
        return process

    def stop_all(self) -> None:
        for process in self.running:
            if process.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + 15
        for process in self.running:
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=5)
            process.log_handle.close()
        self.running.clear()


def run_checked(
    args: list[str], *, env: dict | None = None, cwd: Path | None = None, timeout: float = 600
) -> str:
    """Run a command; return its stdout; raise with its output on failure."""
    result = subprocess.run(
        args, env=env, cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False
    )
    if result.returncode != 0:
        raise RuntimeError(
            f"{' '.join(args[:4])} ... failed ({result.returncode}):\n"
            f"{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
        )
    return result.stdout


def helper(
    python: str, name: str, *, env: dict, cwd: Path | None = None, timeout: float = 600, **options
) -> dict:
    """Run ``name`` of this file in another interpreter; return the JSON it prints last."""
    out = run_checked(
        [
            python,
            str(Path(__file__).resolve()),
            "--helper",
            name,
            "--helper-args",
            json.dumps(options),
        ],
        env=env,
        cwd=cwd,
        timeout=timeout,
    )
    return json.loads(out.strip().splitlines()[-1])


def recreate_database(name: str) -> None:
    import psycopg

    with psycopg.connect(f"{PG_URL}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def pg_version() -> str:
    import psycopg

    with psycopg.connect(f"{PG_URL}/postgres") as conn:
        return conn.execute("SHOW server_version").fetchone()[0]


class ConnectionSampler:
    """Samples the number of PostgreSQL connections to one database twice a second."""

    def __init__(self, database: str):
        self.database = database
        self.samples: list[int] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        import psycopg

        with psycopg.connect(f"{PG_URL}/postgres", autocommit=True) as conn:
            while not self._stop.wait(0.5):
                row = conn.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = %s", [self.database]
                ).fetchone()
                self.samples.append(row[0])

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join(timeout=5)

    @staticmethod
    def count(database: str) -> int:
        import psycopg

        with psycopg.connect(f"{PG_URL}/postgres") as conn:
            return conn.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = %s", [database]
            ).fetchone()[0]


def wait_ready(process, port: int, path: str, headers: dict, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            tail = Path(process.log_path).read_text(errors="replace")[-3000:]
            raise RuntimeError(f"server on port {port} exited ({process.returncode}):\n{tail}")
        try:
            conn = http.client.HTTPConnection(HOST, port, timeout=5)
            conn.request("GET", path, headers=headers)
            status = conn.getresponse().status
            conn.close()
            if status < 500:
                return
        except OSError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"server on port {port} not ready after {timeout:.0f} s")


def cpu_ticks() -> dict[int, tuple[str, int, int]]:
    """``{pid: (command, process group, user+system ticks)}`` of every process."""
    snapshot = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            raw = (entry / "stat").read_text()
        except OSError:
            continue
        command = raw[raw.index("(") + 1 : raw.rindex(")")]
        fields = raw[raw.rindex(")") + 2 :].split()
        snapshot[int(entry.name)] = (command, int(fields[2]), int(fields[11]) + int(fields[12]))
    return snapshot


def machine_busy_ticks() -> int:
    """Busy (non-idle, non-iowait) ticks of all cores together, from /proc/stat."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return sum(fields) - fields[3] - fields[4]


def cpu_use(before: dict, after: dict, seconds: float, server_groups: set[int]) -> dict:
    """CPU seconds spent between two snapshots, by who spent them; "other" is whatever else
    ran on the machine (it competes with the benchmark for the cores)."""
    ticks = os.sysconf("SC_CLK_TCK")
    spent = {"servers": 0.0, "postgres": 0.0, "client": 0.0, "redis": 0.0, "other": 0.0}
    for pid, (command, group, total) in after.items():
        delta = (total - before[pid][2]) / ticks if pid in before else 0.0
        if group in server_groups:
            key = "servers"
        elif command.startswith("postgres"):
            key = "postgres"
        elif pid == os.getpid():
            key = "client"
        elif command.startswith("redis"):
            key = "redis"
        else:
            key = "other"
        spent[key] += delta
    result = {f"{key}_cpu_s": round(value, 1) for key, value in spent.items()}
    result["other_cpu_pct_of_machine"] = round(
        100 * spent["other"] / (seconds * (os.cpu_count() or 1)), 1
    )
    return result


def wait_for_quiet(limit: float, threshold: float = 10.0) -> float:
    """Wait (at most ``limit`` seconds) until the machine's CPU use stays below ``threshold``
    percent for two readings of 3 s in a row; return the last reading. Other work on the
    machine competes for the two cores and would skew the numbers."""
    deadline = time.monotonic() + limit
    quiet_readings = 0
    while True:
        first = cpu_ticks()
        time.sleep(3)
        busy = cpu_use(first, cpu_ticks(), 3, set())
        used = sum(v for k, v in busy.items() if k.endswith("_cpu_s")) / 3
        percent = round(100 * used / (os.cpu_count() or 1), 1)
        quiet_readings = quiet_readings + 1 if percent < threshold else 0
        if quiet_readings >= 2:
            return percent
        if time.monotonic() > deadline:
            log(f"machine still busy ({percent}% CPU in use); measuring anyway")
            return percent
        if percent >= threshold:
            log(f"machine busy ({percent}% CPU in use by other processes); waiting")


# --- Load generation -----------------------------------------------------------------------


def run_load(
    *,
    ports: list[int],
    path: str,
    headers: dict,
    make_body,
    clients: int,
    warmup: float,
    duration: float,
    server_groups: set[int],
    request_timeout: float = 30,
) -> dict:
    """``clients`` threads, each with one keep-alive connection to one of ``ports`` (round
    robin), POST ``make_body(seq)`` as fast as answers come (GET when ``make_body`` is
    ``None``). Requests started during the
    ``duration`` seconds after ``warmup`` are counted; throughput and percentiles are of
    the successful (2xx) ones, errors are counted apart."""
    sequence = itertools.count()
    begin = time.perf_counter()
    measure_from = begin + warmup
    measure_until = measure_from + duration
    results: list[list] = [[] for _ in range(clients)]
    errors: list[dict] = [{} for _ in range(clients)]
    samples: list[list[str]] = [[] for _ in range(clients)]
    headers = {"Content-Type": "application/json", **headers}

    def client(index: int) -> None:
        port = ports[index % len(ports)]
        conn = http.client.HTTPConnection(HOST, port, timeout=request_timeout)
        mine, my_errors, my_samples = results[index], errors[index], samples[index]
        while True:
            started = time.perf_counter()
            if started >= measure_until:
                break
            status, payload = None, b""
            try:
                if make_body is None:
                    conn.request("GET", path, headers=headers)
                else:
                    body = json.dumps(make_body(next(sequence)))
                    conn.request("POST", path, body=body, headers=headers)
                response = conn.getresponse()
                payload = response.read()
                status = response.status
            except (OSError, http.client.HTTPException) as exc:
                status = type(exc).__name__
                conn.close()
                conn = http.client.HTTPConnection(HOST, port, timeout=request_timeout)
            elapsed = time.perf_counter() - started
            if started < measure_from:
                continue
            ok = isinstance(status, int) and 200 <= status < 300
            mine.append((elapsed, ok))
            if not ok:
                key = str(status)
                my_errors[key] = my_errors.get(key, 0) + 1
                if len(my_samples) < 3:
                    my_samples.append(f"{status}: {payload[:300].decode(errors='replace')}")
        conn.close()

    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(clients)]
    for thread in threads:
        thread.start()
    time.sleep(max(0.0, measure_from - time.perf_counter()))
    cpu_before, busy_before, cpu_from = cpu_ticks(), machine_busy_ticks(), time.perf_counter()
    for thread in threads:
        thread.join(timeout=warmup + duration + request_timeout + 30)
    cpu = cpu_use(cpu_before, cpu_ticks(), time.perf_counter() - cpu_from, server_groups)
    busy = (machine_busy_ticks() - busy_before) / os.sysconf("SC_CLK_TCK")
    cpu["machine_busy_cpu_s"] = round(busy, 1)
    # CPU of processes that did not live through the whole window (per-request database
    # backends, short-lived processes of anything else running on the machine).
    cpu["short_lived_cpu_s"] = round(
        busy - sum(v for k, v in cpu.items() if k.endswith("_cpu_s") and k != "machine_busy_cpu_s"),
        1,
    )
    flat = [item for per_client in results for item in per_client]
    ok_latencies = [elapsed for elapsed, ok in flat if ok]
    all_latencies = [elapsed for elapsed, _ in flat]
    merged_errors: dict[str, int] = {}
    for per_client in errors:
        for key, count in per_client.items():
            merged_errors[key] = merged_errors.get(key, 0) + count
    return {
        "requests": len(flat),
        "ok": len(ok_latencies),
        "errors": len(flat) - len(ok_latencies),
        "error_kinds": merged_errors,
        "error_samples": [s for per_client in samples for s in per_client][:6],
        "seconds": round(duration, 2),
        "req_per_s": round(len(ok_latencies) / duration, 1),
        "p50_ms": ms(percentile(ok_latencies, 50)),
        "p95_ms": ms(percentile(ok_latencies, 95)),
        "p99_ms": ms(percentile(ok_latencies, 99)),
        "max_ms": ms(max(all_latencies) if all_latencies else None),
        "warmup_s": warmup,
        "clients": clients,
        "servers": len(ports),
        "unfinished_threads": sum(thread.is_alive() for thread in threads),
        "cpu": cpu,
        # Server-process CPU per answered request. PostgreSQL's share is in cpu.postgres_cpu_s
        # only for backends still alive at the end (not for per-request connections).
        "server_cpu_ms_per_request": round(1000 * cpu["servers_cpu_s"] / len(flat), 1)
        if flat
        else None,
    }


def time_gets(
    *,
    port: int,
    path: str,
    headers: dict,
    calls: int,
    warmup_calls: int,
    timeout: float,
    budget: float,
) -> dict:
    """GET ``path`` ``calls`` times one after the other (after ``warmup_calls`` not counted),
    stopping early when ``budget`` seconds are spent or a call fails or times out."""
    timings, failures, statuses, items = [], [], {}, None
    conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
    started_all = time.monotonic()
    for index in range(warmup_calls + calls):
        if time.monotonic() - started_all > budget:
            failures.append(f"stopped: time budget of {budget:.0f} s spent")
            break
        started = time.perf_counter()
        try:
            conn.request("GET", path, headers=headers)
            response = conn.getresponse()
            payload = response.read()
        except (OSError, http.client.HTTPException) as exc:
            elapsed = time.perf_counter() - started
            failures.append(f"{type(exc).__name__} after {elapsed:.1f} s")
            break
        elapsed = time.perf_counter() - started
        statuses[response.status] = statuses.get(response.status, 0) + 1
        if response.status != 200:
            failures.append(f"HTTP {response.status}: {payload[:300].decode(errors='replace')}")
            break
        if items is None:
            body = json.loads(payload)
            rows = body.get("items", body.get("results"))
            items = len(rows) if isinstance(rows, list) else None
        if index >= warmup_calls:
            timings.append(elapsed)
    conn.close()
    return {
        "calls": len(timings),
        "items_per_page": items,
        "p50_ms": ms(percentile(timings, 50)),
        "p95_ms": ms(percentile(timings, 95)),
        "max_ms": ms(max(timings) if timings else None),
        "all_ms": [ms(t) for t in timings] if len(timings) <= 10 else None,
        "statuses": {str(k): v for k, v in statuses.items()},
        "failures": failures,
    }


# --- storedesk -----------------------------------------------------------------------------


def bench_storedesk(args, processes: Processes, run_id: str, logs: Path) -> dict:
    database = "storedesk_bench"
    home = Path(tempfile.mkdtemp(prefix="storedesk-bench-"))
    env = {
        **os.environ,
        # The storedesk command's own default; a module from the environment wins (as in
        # the command), which lets a configuration change be measured before it is made.
        "DJANGO_SETTINGS_MODULE": os.environ.get(
            "DJANGO_SETTINGS_MODULE", "storedesk.config.settings"
        ),
        "STOREDESK_HOME": str(home),
        "STOREDESK_DATABASE_URL": f"{PG_URL}/{database}",
        "STOREDESK_REDIS_URL": args.redis_url,
        "STOREDESK_LOG_LEVEL": "WARNING",
        "STOREDESK_DEBUG": "0",
    }
    storedesk_cli = str(Path(sys.executable).parent / "storedesk")
    result: dict = {"system": "storedesk", "database": database}
    try:
        log(f"storedesk: database {database}, migrate (storedesk migrate)")
        recreate_database(database)
        run_checked([storedesk_cli, "migrate"], env=env, cwd=REPO_DIR)
        setup = helper(sys.executable, "storedesk-setup", env=env, cwd=REPO_DIR)
        headers = {"Authorization": f"Bearer {setup['token']}"}
        result["code"] = setup["code"]
        ports = [free_port() for _ in range(args.servers)]
        result["server"] = (
            f"{args.servers} x `storedesk serve --host 127.0.0.1 --port N` "
            "(uvicorn, one process each, no balancer; clients round robin over the ports)"
        )

        def start_servers() -> list:
            started = [
                processes.start(
                    [storedesk_cli, "serve", "--host", HOST, "--port", str(port)],
                    env=env,
                    cwd=REPO_DIR,
                    log_path=logs / f"storedesk-serve-{port}.log",
                )
                for port in ports
            ]
            for process, port in zip(started, ports, strict=True):
                wait_ready(process, port, "/healthz", {})
            return started

        servers = start_servers()
        log(f"storedesk: {args.servers} servers up on ports {ports}; ingest load")
        per_contact = args.messages_per_contact

        def body(seq: int) -> dict:
            customer = customer_of(seq, per_contact)
            return {
                "inbox_id": setup["inbox_id"],
                "contact": {
                    "email": f"customer{customer}-{run_id}@bench.example",
                    "name": f"Customer {customer}",
                },
                "text": f"Hello, where is my order #{100000 + seq}? It has not arrived yet.",
                "external_id": f"bench-{run_id}-{seq}",
            }

        result["cpu_in_use_before_load_pct"] = wait_for_quiet(args.quiet_wait)
        with ConnectionSampler(database) as sampler:
            load = run_load(
                ports=ports,
                path="/api/v1/conversations",
                headers=headers,
                make_body=body,
                clients=args.clients,
                warmup=args.warmup,
                duration=args.duration,
                server_groups={process.pid for process in servers},
            )
        load["pg_connections_max"] = max(sampler.samples, default=None)
        time.sleep(1)
        load["pg_connections_after"] = ConnectionSampler.count(database)
        result["ingest"] = load
        log(
            f"storedesk: ingest {load['req_per_s']} req/s, p99 {load['p99_ms']} ms, "
            f"errors {load['errors']}"
        )
        if args.floor_duration > 0:
            # What any request costs these servers before its own work: the same load on
            # /healthz (Django's ASGI handler and middleware, one SELECT 1, a JSON answer).
            wait_for_quiet(args.quiet_wait)
            result["floor"] = run_load(
                ports=ports,
                path="/healthz",
                headers={},
                make_body=None,
                clients=args.clients,
                warmup=args.warmup,
                duration=args.floor_duration,
                server_groups={process.pid for process in servers},
            )
            log(
                f"storedesk: floor (GET /healthz) {result['floor']['req_per_s']} req/s, "
                f"{result['floor']['server_cpu_ms_per_request']} ms of server CPU each"
            )
        # The list is timed on freshly started servers: nothing left over from the load.
        processes.stop_all()
        counts = helper(sys.executable, "storedesk-count", env=env, cwd=REPO_DIR)
        result["after_ingest"] = counts

        small = max(1_000, counts["conversations"])
        helper(sys.executable, "storedesk-fill", env=env, cwd=REPO_DIR, rows=small)
        result["queries_small"] = helper(
            sys.executable, "storedesk-queries", env=env, cwd=REPO_DIR, token=setup["token"]
        )
        log(f"storedesk: filling to {args.rows} conversations (bulk_create)")
        started = time.monotonic()
        result["fill"] = helper(
            sys.executable, "storedesk-fill", env=env, cwd=REPO_DIR, rows=args.rows
        )
        result["fill"]["seconds"] = round(time.monotonic() - started, 1)
        for key, path in (("", OPEN_LIST), ("_all", ALL_LIST)):
            result["queries_full" + key] = helper(
                sys.executable,
                "storedesk-queries",
                env=env,
                cwd=REPO_DIR,
                token=setup["token"],
                path=path,
                explain=True,
            )
        start_servers()
        log("storedesk: timing the inbox lists over HTTP (servers restarted)")
        result["cpu_in_use_before_list_pct"] = wait_for_quiet(args.quiet_wait)
        for key, path, calls in (("", OPEN_LIST, args.list_calls), ("_all", ALL_LIST, 30)):
            result["list" + key] = time_gets(
                port=ports[0],
                path=path,
                headers=headers,
                calls=calls,
                warmup_calls=5,
                timeout=60,
                budget=120,
            )
            result["list" + key]["path"] = f"GET {path}"
        log(
            f"storedesk: open list p50 {result['list']['p50_ms']} ms, p95 "
            f"{result['list']['p95_ms']} ms; queries {result['queries_small']['queries']} at "
            f"{result['queries_small']['rows']} rows, "
            f"{result['queries_full']['queries']} at {result['queries_full']['rows']}"
        )
    except Exception as exc:  # reported, not hidden: the other system still runs
        result["failed"] = f"{type(exc).__name__}: {exc}"
        log(f"storedesk: FAILED: {result['failed']}")
    finally:
        processes.stop_all()
        shutil.rmtree(home, ignore_errors=True)
    return result


def _storedesk_django():
    import django

    django.setup()


def helper_storedesk_setup(options: dict) -> dict:
    _storedesk_django()
    from storedesk.accounts.enums import Role
    from storedesk.accounts.services import agent_create, api_token_create, team_create
    from storedesk.inboxes.services import inbox_create
    from storedesk.stores.services import store_create

    store = store_create(name="Bench Shop", slug="bench-shop")
    inbox = inbox_create(store=store, kind="api", name="Bench API")
    admin = agent_create(username="bench-admin", password=None, role=Role.ADMIN, is_superuser=True)
    for number in range(1, 6):
        agent_create(username=f"bench-agent{number}", password=None, display_name=f"Agent {number}")
    for name in ("Orders", "Returns"):
        team_create(name=name)
    _, token = api_token_create(agent=admin, name="bench")
    import storedesk

    return {
        "inbox_id": inbox.pk,
        "store_id": store.pk,
        "token": token,
        "code": code_origin(Path(storedesk.__file__).parent.parent),
    }


def code_origin(directory: Path) -> dict:
    """Where the measured storedesk code came from: its directory, and the git commit (with
    whether the checkout had uncommitted changes) when it is a git checkout."""
    origin = {"path": str(directory)}
    try:
        origin["commit"] = subprocess.run(
            ["git", "-C", str(directory), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
            timeout=30,
        ).stdout.strip()
        changes = subprocess.run(
            ["git", "-C", str(directory), "status", "--porcelain", "--", "storedesk"],
            capture_output=True,
            text=True,
            check=True,
            timeout=30,
        ).stdout
        origin["uncommitted_changes"] = bool(changes.strip())
    except (OSError, subprocess.SubprocessError):
        origin["commit"] = None
    return origin


def helper_storedesk_count(options: dict) -> dict:
    _storedesk_django()
    from storedesk.contacts.models import Contact
    from storedesk.conversations.models import Conversation, Message

    return {
        "conversations": Conversation.objects.count(),
        "messages": Message.objects.count(),
        "contacts": Contact.objects.count(),
    }


def helper_storedesk_fill(options: dict) -> dict:
    """Top the conversations up to ``rows`` with bulk_create (contacts, spread statuses,
    waiting_since on open and snoozed rows, assignees, teams, tags)."""
    _storedesk_django()
    from django.db import connection, transaction

    from storedesk.accounts.models import Agent, Team
    from storedesk.contacts.models import Contact
    from storedesk.conversations.models import Conversation, Tag
    from storedesk.inboxes.models import Inbox

    target = int(options["rows"])
    existing = Conversation.objects.count()
    rng = random.Random(target)
    inbox = Inbox.objects.get(kind="api", name="Bench API")
    store_id = inbox.store_id
    agents = list(Agent.objects.filter(username__startswith="bench-agent"))
    teams = list(Team.objects.all())
    tags = [
        Tag.objects.get_or_create(store_id=store_id, name=name)[0]
        for name in ("shipping", "refund", "damaged", "vip", "wholesale", "address")
    ]
    statuses = list(STORE_STATUS_WEIGHTS)
    weights = list(STORE_STATUS_WEIGHTS.values())
    now = datetime.now(UTC)
    Through = Conversation.tags.through
    added = 0
    while existing + added < target:
        size = min(FILL_BATCH, target - existing - added)
        with transaction.atomic():
            contacts = Contact.objects.bulk_create(
                [
                    Contact(
                        store_id=store_id,
                        name=f"Bulk Customer {existing + added + i}",
                        email=f"bulk{existing + added + i}@bench.example",
                    )
                    for i in range(size)
                ]
            )
            rows = []
            for contact in contacts:
                status = rng.choices(statuses, weights)[0]
                created = now - timedelta(seconds=rng.randint(3600, 90 * 86400))
                waiting = (
                    created + timedelta(seconds=rng.randint(0, 3600))
                    if status in ("open", "snoozed")
                    else None
                )
                rows.append(
                    Conversation(
                        store_id=store_id,
                        inbox=inbox,
                        contact=contact,
                        subject=f"Question about order #{rng.randint(10000, 99999)}",
                        status=status,
                        priority=rng.choices([0, 1, 2, 3], [10, 70, 15, 5])[0],
                        assignee=rng.choice(agents) if rng.random() < 0.6 else None,
                        team=rng.choice(teams) if rng.random() < 0.5 else None,
                        language="en",
                        waiting_since=waiting,
                        last_customer_message_at=waiting or created,
                        last_message_at=waiting or created,
                        snoozed_until=now + timedelta(days=2) if status == "snoozed" else None,
                        resolved_at=created + timedelta(days=1) if status == "resolved" else None,
                        message_count=rng.randint(1, 8),
                    )
                )
            conversations = Conversation.objects.bulk_create(rows)
            links = []
            for conversation in conversations:
                if rng.random() < 0.25:
                    for tag in rng.sample(tags, rng.randint(1, 2)):
                        links.append(Through(conversation_id=conversation.pk, tag_id=tag.pk))
            Through.objects.bulk_create(links)
        added += size
    with connection.cursor() as cursor:
        # auto_now_add stamped every bulk row with "now"; spread created_at like real data.
        cursor.execute(
            "UPDATE conversations_conversation SET created_at = last_message_at, "
            "updated_at = last_message_at WHERE created_at > %s AND last_message_at < %s",
            [now - timedelta(minutes=5), now - timedelta(minutes=30)],
        )
        cursor.execute("ANALYZE")
    return {
        "rows": Conversation.objects.count(),
        "open": Conversation.objects.filter(status="open").count(),
        "added": added,
    }


def capture_list(client, path: str, *, warm: bool = True) -> dict:
    """One GET of ``path`` through Django's test client: its SQL (``CaptureQueriesContext``,
    which keeps at most 9,000 queries) and the exact number of queries (counted by an
    execute wrapper, without that limit)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    if warm:
        client.get(path)  # token last_used_at write, caches
    executed = []

    def count(execute, sql, params, many, context):
        executed.append(1)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count), CaptureQueriesContext(connection) as captured:
        started = time.perf_counter()
        response = client.get(path)
        elapsed = time.perf_counter() - started
    body = response.json() if response.status_code == 200 else {}
    rows = body.get("items", body.get("results", []))
    return {
        "path": path,
        "status": response.status_code,
        "items": len(rows) if isinstance(rows, list) else None,
        "queries": len(executed),
        "in_process_ms": ms(elapsed),
        "captured": list(captured.captured_queries),
    }


def helper_storedesk_queries(options: dict) -> dict:
    _storedesk_django()
    from django.db import connection
    from django.test import Client

    from storedesk.conversations.models import Conversation

    client = Client(HTTP_HOST="127.0.0.1", HTTP_AUTHORIZATION=f"Bearer {options['token']}")
    result = capture_list(client, options.get("path", OPEN_LIST))
    queries = result.pop("captured")
    result["rows"] = Conversation.objects.count()
    result["sql"] = [
        {"ms": round(float(q["time"]) * 1000, 2), "sql": q["sql"][:600]} for q in queries
    ]
    if options.get("explain"):
        main = next(q for q in queries if 'FROM "conversations_conversation"' in q["sql"])
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + main["sql"])
            result["explain"] = [row[0] for row in cursor.fetchall()]
    return result


# --- django-helpdesk -----------------------------------------------------------------------

PEER_SETTINGS = '''"""Minimal project for the ingest benchmark (generated by bench/ingest.py)."""

import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
SECRET_KEY = "bench-only-not-a-secret"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.sites",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "helpdesk",
]
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]
ROOT_URLCONF = "hdbench.urls"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": "helpdesk_bench",
        "USER": "postgres",
        "HOST": "127.0.0.1",
        "PORT": 5432,
        "CONN_MAX_AGE": int(os.environ.get("HDBENCH_CONN_MAX_AGE", "0")),
    }
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
SITE_ID = 1
USE_TZ = True
TIME_ZONE = "UTC"
STATIC_URL = "/static/"
MEDIA_ROOT = str(BASE_DIR / "media")
EMAIL_BACKEND = "django.core.mail.backends.dummy.EmailBackend"
DEFAULT_FROM_EMAIL = "helpdesk@localhost"
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework.authentication.TokenAuthentication"],
}
HELPDESK_API_ENABLED = True
HELPDESK_TEAMS_MODE_ENABLED = False
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}
'''

PEER_URLS = """from django.urls import include, path

urlpatterns = [path("", include("helpdesk.urls", namespace="helpdesk"))]
"""

PEER_WSGI = """import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hdbench.settings")
application = get_wsgi_application()
"""

PEER_ASGI = """import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hdbench.settings")
application = get_asgi_application()
"""


def _installed_version(name: str) -> str:
    from importlib.metadata import version

    return version(name)


def peer_install() -> tuple[str, list[str]]:
    """The peer's virtualenv (created once, reused while the pins match) and its pins."""
    venv = PEER_DIR / "venv"
    python = venv / "bin" / "python"
    pins = [
        f"django-helpdesk=={PEER_VERSION}",
        f"Django=={_installed_version('Django')}",
        f"psycopg[binary]=={_installed_version('psycopg')}",
        f"uvicorn[standard]=={_installed_version('uvicorn')}",
        "gunicorn==27.0.1",
    ]
    marker = venv / "bench-pins.txt"
    if marker.exists() and marker.read_text() == "\n".join(pins) and python.exists():
        return str(python), pins
    log(f"django-helpdesk: creating {venv} and installing {', '.join(pins)}")
    shutil.rmtree(venv, ignore_errors=True)
    PEER_DIR.mkdir(parents=True, exist_ok=True)
    base = getattr(sys, "_base_executable", sys.executable)
    run_checked([base, "-m", "venv", str(venv)], timeout=300)
    run_checked(
        [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", *pins],
        timeout=900,
    )
    marker.write_text("\n".join(pins))
    return str(python), pins


def peer_project() -> Path:
    project = PEER_DIR / "project"
    package = project / "hdbench"
    package.mkdir(parents=True, exist_ok=True)
    (package / "__init__.py").write_text("")
    (package / "settings.py").write_text(PEER_SETTINGS)
    (package / "urls.py").write_text(PEER_URLS)
    (package / "asgi.py").write_text(PEER_ASGI)
    (package / "wsgi.py").write_text(PEER_WSGI)
    return project


def bench_peer(args, processes: Processes, run_id: str, logs: Path) -> dict:
    database = "helpdesk_bench"
    result: dict = {"system": f"django-helpdesk {PEER_VERSION}", "database": database}
    try:
        python, pins = peer_install()
        result["packages"] = pins
        result["versions"] = json.loads(
            run_checked(
                [
                    python,
                    "-c",
                    "import json, importlib.metadata as m; print(json.dumps({n: "
                    "m.version(n) for n in ['django-helpdesk', 'Django', 'djangorestframework', "
                    "'psycopg', 'uvicorn', 'gunicorn']}))",
                ]
            )
        )
        project = peer_project()
        env = {
            **{k: v for k, v in os.environ.items() if k not in {"VIRTUAL_ENV", "PYTHONHOME"}},
            "DJANGO_SETTINGS_MODULE": "hdbench.settings",
            "PYTHONPATH": str(project),
        }
        log(f"django-helpdesk: database {database}, migrate")
        recreate_database(database)
        setup = helper(python, "peer-setup", env=env, cwd=project)
        headers = {"Authorization": f"Token {setup['token']}"}
        bin_dir = Path(python).parent
        if args.peer_server == "gunicorn":
            ports = [free_port()]
            threads = max(1, args.clients // args.servers)
            command = [
                str(bin_dir / "gunicorn"),
                "hdbench.wsgi:application",
                "--bind",
                f"{HOST}:{ports[0]}",
                "--workers",
                str(args.servers),
                "--threads",
                str(threads),
                "--log-level",
                "warning",
            ]
            result["server"] = (
                f"`gunicorn hdbench.wsgi:application --workers {args.servers} --threads "
                f"{threads}` (WSGI, gthread workers, one port); CONN_MAX_AGE="
                f"{args.peer_conn_max_age}"
            )
            commands = [command]
        else:
            ports = [free_port() for _ in range(args.servers)]
            commands = [
                [
                    str(bin_dir / "uvicorn"),
                    "hdbench.asgi:application",
                    "--host",
                    HOST,
                    "--port",
                    str(port),
                    "--lifespan",
                    "off",
                    "--log-level",
                    "warning",
                    "--proxy-headers",
                ]
                for port in ports
            ]
            result["server"] = (
                f"{args.servers} x `uvicorn hdbench.asgi:application --host 127.0.0.1 --port N"
                " --lifespan off` (ASGI, one process each, no balancer; clients round robin); "
                f"CONN_MAX_AGE={args.peer_conn_max_age}"
            )
        env["HDBENCH_CONN_MAX_AGE"] = str(args.peer_conn_max_age)

        def start_servers() -> list:
            started = [
                processes.start(
                    command,
                    env=env,
                    cwd=project,
                    log_path=logs / f"helpdesk-{args.peer_server}-{port}.log",
                )
                for command, port in zip(commands, ports, strict=True)
            ]
            for process, port in zip(started, ports, strict=True):
                wait_ready(process, port, "/api/", headers)
            return started

        servers = start_servers()
        log(f"django-helpdesk: {args.servers} servers up on ports {ports}; ingest load")
        per_contact = args.messages_per_contact

        def body(seq: int) -> dict:
            customer = customer_of(seq, per_contact)
            return {
                "queue": setup["queue_id"],
                "title": f"Where is my order #{100000 + seq}?",
                "description": f"Hello, where is my order #{100000 + seq}? It has not arrived yet.",
                "submitter_email": f"customer{customer}-{run_id}@bench.example",
                "priority": 3,
            }

        result["cpu_in_use_before_load_pct"] = wait_for_quiet(args.quiet_wait)
        with ConnectionSampler(database) as sampler:
            load = run_load(
                ports=ports,
                path="/api/tickets/",
                headers=headers,
                make_body=body,
                clients=args.clients,
                warmup=args.warmup,
                duration=args.duration,
                server_groups={process.pid for process in servers},
            )
        load["pg_connections_max"] = max(sampler.samples, default=None)
        time.sleep(1)
        load["pg_connections_after"] = ConnectionSampler.count(database)
        result["ingest"] = load
        log(
            f"django-helpdesk: ingest {load['req_per_s']} req/s, p99 {load['p99_ms']} ms, "
            f"errors {load['errors']}"
        )
        processes.stop_all()  # restarted for the list, as for storedesk
        small = max(1_000, helper(python, "peer-count", env=env, cwd=project)["tickets"])
        helper(python, "peer-fill", env=env, cwd=project, rows=small)
        result["queries_small"] = helper(
            python, "peer-queries", env=env, cwd=project, token=setup["token"]
        )
        log(f"django-helpdesk: filling to {args.rows} tickets (bulk_create)")
        started = time.monotonic()
        result["fill"] = helper(python, "peer-fill", env=env, cwd=project, rows=args.rows)
        result["fill"]["seconds"] = round(time.monotonic() - started, 1)
        start_servers()
        for key, path, calls in (
            ("", PEER_OPEN_LIST, args.peer_list_calls),
            ("_all", PEER_ALL_LIST, args.peer_unfiltered_calls),
        ):
            if not calls:
                continue
            result[f"cpu_in_use_before_list{key}_pct"] = wait_for_quiet(args.quiet_wait)
            log(
                f"django-helpdesk: timing GET {path} over HTTP (up to {calls} calls, "
                f"{args.peer_list_timeout:.0f} s each, {args.peer_list_budget:.0f} s in all)"
            )
            result["list" + key] = time_gets(
                port=ports[0],
                path=path,
                headers=headers,
                calls=calls,
                warmup_calls=0,
                timeout=args.peer_list_timeout,
                budget=args.peer_list_budget,
            )
            result["list" + key]["path"] = f"GET {path}"
            log(f"django-helpdesk: {result['list' + key]}")
        if not args.skip_peer_full_query_count:
            log(f"django-helpdesk: counting the queries of GET {PEER_OPEN_LIST} in-process")
            result["queries_full"] = helper(
                python,
                "peer-queries",
                env=env,
                cwd=project,
                token=setup["token"],
                warm=False,
                timeout=args.peer_list_timeout * 3,
            )
    except Exception as exc:
        result["failed"] = f"{type(exc).__name__}: {exc}"
        log(f"django-helpdesk: FAILED: {result['failed']}")
    finally:
        processes.stop_all()
    return result


def _peer_django():
    import django

    django.setup()


def helper_peer_setup(options: dict) -> dict:
    _peer_django()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from helpdesk.models import Queue
    from rest_framework.authtoken.models import Token

    call_command("migrate", interactive=False, verbosity=0)
    user = get_user_model().objects.create_user(
        "bench-admin",
        email="admin@bench.example",
        password=None,
        is_staff=True,
        is_superuser=True,
    )
    for number in range(1, 6):
        get_user_model().objects.create_user(f"bench-agent{number}", password=None, is_staff=True)
    queue = Queue.objects.create(title="Bench", slug="bench", allow_email_submission=False)
    token = Token.objects.create(user=user)
    return {"queue_id": queue.pk, "token": token.key}


def helper_peer_count(options: dict) -> dict:
    _peer_django()
    from helpdesk.models import FollowUp, Ticket

    return {"tickets": Ticket.objects.count(), "followups": FollowUp.objects.count()}


def helper_peer_fill(options: dict) -> dict:
    """Top the tickets up to ``rows`` with bulk_create, each with its opening follow-up."""
    _peer_django()
    from django.contrib.auth import get_user_model
    from django.db import connection, transaction
    from helpdesk.models import FollowUp, Queue, Ticket

    target = int(options["rows"])
    existing = Ticket.objects.count()
    rng = random.Random(target)
    queue = Queue.objects.get(slug="bench")
    agents = list(get_user_model().objects.filter(username__startswith="bench-agent"))
    statuses = list(PEER_STATUS_WEIGHTS)
    weights = list(PEER_STATUS_WEIGHTS.values())
    added = 0
    while existing + added < target:
        size = min(FILL_BATCH, target - existing - added)
        with transaction.atomic():
            tickets = Ticket.objects.bulk_create(
                [
                    Ticket(
                        queue=queue,
                        title=f"Question about order #{rng.randint(10000, 99999)}",
                        submitter_email=f"bulk{existing + added + i}@bench.example",
                        status=rng.choices(statuses, weights)[0],
                        priority=rng.choice([1, 2, 3, 3, 3, 4, 5]),
                        assigned_to=rng.choice(agents) if rng.random() < 0.6 else None,
                        description="Hello, where is my order? It has not arrived yet.",
                    )
                    for i in range(size)
                ]
            )
            FollowUp.objects.bulk_create(
                [
                    FollowUp(
                        ticket=ticket,
                        title="Ticket Opened",
                        comment=ticket.description,
                        public=True,
                    )
                    for ticket in tickets
                ]
            )
        added += size
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return {
        "rows": Ticket.objects.count(),
        "open": Ticket.objects.filter(status=1).count(),
        "added": added,
    }


def helper_peer_queries(options: dict) -> dict:
    _peer_django()
    from django.test import Client
    from helpdesk.models import Ticket

    client = Client(HTTP_HOST="127.0.0.1", HTTP_AUTHORIZATION=f"Token {options['token']}")
    result = capture_list(
        client, options.get("path", PEER_OPEN_LIST), warm=options.get("warm", True)
    )
    shapes: dict[str, int] = {}
    for query in result.pop("captured"):
        shape = query["sql"].split(" WHERE ")[0][:160]
        shapes[shape] = shapes.get(shape, 0) + 1
    top = sorted(shapes.items(), key=lambda item: -item[1])[:5]
    result["rows"] = Ticket.objects.count()
    result["most_repeated_of_captured"] = [{"count": n, "sql": shape} for shape, n in top]
    return result


# --- Report --------------------------------------------------------------------------------


def _get(data: dict, *path, default="-"):
    for key in path:
        if not isinstance(data, dict) or key not in data or data[key] is None:
            return default
        data = data[key]
    return data


def print_table(report: dict) -> None:
    systems = report["systems"]

    def row(label: str, values: list) -> str:
        return f"{label:<36}" + "".join(f"{str(v):>26}" for v in values)

    def queries(s: dict, key: str) -> str:
        return f"{_get(s, key, 'queries')} @ {_get(s, key, 'rows')} rows"

    rows = [
        (
            "ingest: requests ok / errors",
            lambda s: f"{_get(s, 'ingest', 'ok')} / {_get(s, 'ingest', 'errors')}",
        ),
        ("ingest: req/s", lambda s: _get(s, "ingest", "req_per_s")),
        (
            "ingest: p50 / p95 ms",
            lambda s: f"{_get(s, 'ingest', 'p50_ms')} / {_get(s, 'ingest', 'p95_ms')}",
        ),
        (
            "ingest: p99 / max ms",
            lambda s: f"{_get(s, 'ingest', 'p99_ms')} / {_get(s, 'ingest', 'max_ms')}",
        ),
        (
            "ingest: PG connections max / after",
            lambda s: (
                f"{_get(s, 'ingest', 'pg_connections_max')}"
                f" / {_get(s, 'ingest', 'pg_connections_after')}"
            ),
        ),
        (
            "ingest CPU s: srv/pg/client/other/short",
            lambda s: "/".join(
                str(_get(s, "ingest", "cpu", f"{k}_cpu_s"))
                for k in ("servers", "postgres", "client", "other", "short_lived")
            ),
        ),
        (
            "ingest: server CPU ms / request",
            lambda s: _get(s, "ingest", "server_cpu_ms_per_request"),
        ),
        (
            "floor (GET /healthz): req/s, p99 ms",
            lambda s: f"{_get(s, 'floor', 'req_per_s')}, {_get(s, 'floor', 'p99_ms')}",
        ),
        (
            "floor: server CPU ms / request",
            lambda s: _get(s, "floor", "server_cpu_ms_per_request"),
        ),
        (
            "list: rows in table / open",
            lambda s: f"{_get(s, 'fill', 'rows')} / {_get(s, 'fill', 'open')}",
        ),
        ("open list: calls timed", lambda s: _get(s, "list", "calls")),
        (
            "open list: p50 / p95 ms",
            lambda s: f"{_get(s, 'list', 'p50_ms')} / {_get(s, 'list', 'p95_ms')}",
        ),
        ("open list: queries, small table", lambda s: queries(s, "queries_small")),
        ("open list: queries, full table", lambda s: queries(s, "queries_full")),
        ("all-status list: calls timed", lambda s: _get(s, "list_all", "calls")),
        (
            "all-status list: p50 / p95 ms",
            lambda s: f"{_get(s, 'list_all', 'p50_ms')} / {_get(s, 'list_all', 'p95_ms')}",
        ),
    ]
    print()
    print(row("", [s["system"] for s in systems]))
    for label, value in rows:
        print(row(label, [value(s) for s in systems]))
    for s in systems:
        print(f"\n{s['system']}: {_get(s, 'server')}")
        if s.get("code"):
            print(f"  code: {s['code']}")
        if s.get("failed"):
            print(f"  FAILED: {s['failed']}")
        for key in ("list", "list_all"):
            for failure in _get(s, key, "failures", default=[]):
                print(f"  {_get(s, key, 'path')}: {failure}")
        other = _get(s, "ingest", "cpu", "other_cpu_pct_of_machine", default=0)
        if other > 5:
            print(f"  WARNING: other processes used {other}% of the machine during the load")
        if _get(s, "ingest", "errors", default=0):
            print(f"  ingest errors: {s['ingest']['error_kinds']}")
            for sample in s["ingest"]["error_samples"]:
                print("    " + " ".join(sample.split())[:200])
    if len(systems) == 2:
        mine = _get(systems[0], "ingest", "req_per_s", default=None)
        peer = _get(systems[1], "ingest", "req_per_s", default=None)
        if mine and peer:
            print(f"\ningest throughput, storedesk / django-helpdesk: {mine / peer:.2f}x")
    print(
        "targets: ingest >= 5x django-helpdesk's req/s with p99 < 100 ms; open list p95 < 50 ms"
        " at 100,000 conversations; query count not growing with rows"
    )


# --- Entry points --------------------------------------------------------------------------

HELPERS = {
    "storedesk-setup": helper_storedesk_setup,
    "storedesk-count": helper_storedesk_count,
    "storedesk-fill": helper_storedesk_fill,
    "storedesk-queries": helper_storedesk_queries,
    "peer-setup": helper_peer_setup,
    "peer-count": helper_peer_count,
    "peer-fill": helper_peer_fill,
    "peer-queries": helper_peer_queries,
}


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=20, help="measured seconds of load")
    parser.add_argument("--warmup", type=float, default=3, help="uncounted seconds before")
    parser.add_argument("--clients", type=int, default=8, help="concurrent client connections")
    parser.add_argument("--servers", type=int, default=2, help="server processes per system")
    parser.add_argument("--rows", type=int, default=100_000, help="rows for the list test")
    parser.add_argument(
        "--messages-per-contact", type=int, default=5, help="messages each customer sends"
    )
    parser.add_argument("--list-calls", type=int, default=100, help="storedesk list calls")
    parser.add_argument(
        "--peer-list-calls", type=int, default=3, help="timed calls of django-helpdesk's open list"
    )
    parser.add_argument("--peer-list-timeout", type=float, default=150, help="seconds per call")
    parser.add_argument(
        "--peer-list-budget", type=float, default=240, help="seconds for all the peer's list calls"
    )
    parser.add_argument(
        "--peer-unfiltered-calls",
        type=int,
        default=1,
        help=f"timed calls of django-helpdesk's GET {PEER_ALL_LIST} (every status)",
    )
    parser.add_argument(
        "--skip-peer-full-query-count",
        action="store_true",
        help="do not count django-helpdesk's list queries at full size (saves one slow call)",
    )
    parser.add_argument(
        "--peer-server",
        choices=["uvicorn", "gunicorn"],
        default="gunicorn",
        help="django-helpdesk behind gunicorn (WSGI, gthread workers; its usual layout and the"
        " faster one here) or uvicorn (ASGI, the same layout as storedesk)",
    )
    parser.add_argument(
        "--peer-conn-max-age",
        type=int,
        default=60,
        help="django-helpdesk's CONN_MAX_AGE (use 0 with --peer-server uvicorn: under ASGI"
        " every request runs on a new thread, so persistent connections pile up)",
    )
    parser.add_argument(
        "--quiet-wait",
        type=float,
        default=120,
        help="seconds to wait at most for other processes to leave the CPU idle before a load",
    )
    parser.add_argument(
        "--floor-duration",
        type=float,
        default=10,
        help="seconds of the same load on storedesk's GET /healthz (0: skip)",
    )
    parser.add_argument("--skip-peer", action="store_true", help="storedesk only")
    parser.add_argument("--skip-storedesk", action="store_true", help="django-helpdesk only")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/14")
    parser.add_argument("--output", help="JSON file (default: bench/results/ingest-<time>.json)")
    parser.add_argument("--helper", choices=sorted(HELPERS), help=argparse.SUPPRESS)
    parser.add_argument("--helper-args", default="{}", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.helper:
        print(json.dumps(HELPERS[args.helper](json.loads(args.helper_args)), default=str))
        return 0
    run_id = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    logs = RESULTS_DIR / f"ingest-{run_id}-logs"
    logs.mkdir(parents=True, exist_ok=True)
    processes = Processes()

    def on_signal(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_signal)
    report = {
        "benchmark": "bench/ingest.py",
        "started": datetime.now(UTC).isoformat(timespec="seconds"),
        "argv": sys.argv[1:],
        "machine": {
            "cores": os.cpu_count(),
            "python": sys.version.split()[0],
            "postgresql": pg_version(),
            "platform": sys.platform,
        },
        "systems": [],
    }
    started = time.monotonic()
    try:
        if not args.skip_storedesk:
            report["systems"].append(bench_storedesk(args, processes, run_id, logs))
        if not args.skip_peer:
            report["systems"].append(bench_peer(args, processes, run_id, logs))
    finally:
        processes.stop_all()
    report["total_seconds"] = round(time.monotonic() - started, 1)
    output = Path(args.output) if args.output else RESULTS_DIR / f"ingest-{run_id}.json"
    output.write_text(json.dumps(report, indent=2, default=str))
    print_table(report)
    print(f"\nJSON: {output}\nserver logs: {logs}\ntotal: {report['total_seconds']} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
