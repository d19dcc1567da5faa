"""Email ingestion benchmark: from SMTP submission to a stored, threaded conversation.

Run from the storedesk virtualenv::

    python bench/email_ingest.py                          # 3,000 mails, 1-3 minutes
    python bench/email_ingest.py --worker-processes 1 --worker-threads 4
    python bench/email_ingest.py --rate 40                # a fixed offered load (mails/s)
    python bench/email_ingest.py --py-spy                 # also sample smtpd and the workers

On PostgreSQL at 127.0.0.1:5432 (database ``storedesk_email_bench``, dropped and created
anew on every run) the script migrates, creates a store and an email inbox
(``support@bench.example``) through storedesk's services, flushes the Redis database of
``--redis-url`` (the queue and the channel layer), and starts, each in its own process group:

- the SMTP receiver, ``storedesk smtpd --host 127.0.0.1 --port N`` (aiosmtpd: the recipient
  is checked at RCPT, the raw mail is stored as an ``InboundPayload`` before ``250``, and a
  ``process_payload`` task is queued after commit);
- ``--worker-processes`` (default 2, one per core) x ``storedesk worker --workers
  --worker-threads`` (default 4): huey consumers on Redis with thread workers, which parse
  each stored mail and thread it into a conversation. Threads share one core (the GIL), so
  a second process is what lets the workers use both cores.

The mail is generated up front with the standard ``email`` package, deterministic for a
``--seed``: new conversations from distinct customers, and replies (``--reply-ratio``) that
a customer sends to an earlier mail of their own thread, at least ``--reply-gap`` mails
later, with ``In-Reply-To``/``References`` and the earlier mails quoted below "On ... wrote:"
(or the Chinese and Croatian equivalents). Customers write in English (US-ASCII or UTF-8),
Chinese (``--zh-ratio``; UTF-8 or GB18030) or Croatian (``--hr-ratio``; ISO-8859-2 or
Windows-1250), in text only or multipart/alternative text and HTML (``--html-ratio``), some
with a small PDF or PNG attached (``--attachment-ratio``). Every mail has a unique
Message-ID; no customer sends more than ``--max-per-customer`` mails (storedesk ignores a
sender's 21st mail within 10 minutes as a likely loop).

``--clients`` threads each keep one SMTP connection and send mail after mail on it
(smtplib: EHLO once, then MAIL FROM, RCPT TO, DATA for each mail), as fast as answers come
or, with ``--rate``, at that total offered rate. ``--warmup`` mails go first and are not
counted. Then, once the CPU is idle (at most ``--quiet-wait`` seconds of waiting), ``--count``
new mails are measured. It measures:

- SMTP: accepted mails per second (first MAIL FROM to last ``250``), and the latency of each
  mail from MAIL FROM to the ``250`` after DATA (p50/p95/p99/max).
- End to end: mails per second from the first submission until every mail is an inbound
  ``Message`` in a conversation, and the latency of each mail from its MAIL FROM until its row
  is visible. A thread polls ``conversations_message`` every ``--poll-interval`` seconds, so
  the latency is rounded up to that resolution (``Message.created_at`` is the mail's
  ``Date`` header, not the time it was stored). When SMTP accepts faster than the workers
  store, a queue builds up and this latency is mostly time in the queue; with ``--rate``
  below the end-to-end throughput it is the pipeline's own latency.
- Where the CPU time went: smtpd, the workers, PostgreSQL (its own processes and the
  backends of this database), Redis, this client, and everything else on the machine.

The machine's two cores are shared by smtpd, the workers, PostgreSQL, Redis and the client,
so anything else running skews the numbers. When other processes used more than
``--max-interference`` percent of the machine during the measurement, it is repeated with
new mail on the same pipeline (``--attempts`` in all), and the least disturbed attempt is
reported; every attempt is listed in the JSON.

Then it checks, over every mail sent: each Message-ID is exactly one inbound message; each
new mail opened its own conversation and there are no other conversations; each reply is in
the conversation of the mail it answers; each conversation's ``message_count`` is its
number of mails; the stored text is the mail's new text (quote removed, charset decoded);
HTML and attachments were kept; one contact per customer; no payload is failed, ignored or
still pending (the failed ones are printed with their error).

``--py-spy`` samples smtpd and the workers with py-spy (``pip install py-spy``) during the
measured mails, counting only samples that hold the GIL (where the Python CPU time goes),
and prints the functions with the largest share. The storedesk code measured is the one
Python imports (``PYTHONPATH`` can point at another copy); the JSON records its path and
commit. Only 127.0.0.1 is contacted. Every wait is bounded; the processes started here are
stopped (their whole process groups) on exit, Ctrl-C included. Results are printed and
written as JSON under ``bench/results/`` with the process logs beside it. Nothing here
asserts: it prints numbers and the checks' findings.
"""

from __future__ import annotations

import argparse
import contextlib
import html
import itertools
import json
import os
import random
import re
import shutil
import signal
import smtplib
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, deque
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from email import policy
from email.header import Header
from email.mime.application import MIMEApplication
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import format_datetime, formataddr
from pathlib import Path

# bench/ingest.py's helpers (this script's directory is first on sys.path when it runs).
from ingest import (
    HOST,
    PG_URL,
    RESULTS_DIR,
    Processes,
    code_origin,
    cpu_ticks,
    free_port,
    log,
    machine_busy_ticks,
    ms,
    percentile,
    pg_version,
    recreate_database,
    run_checked,
    wait_for_quiet,
)

DATABASE = "storedesk_email_bench"
INBOX_ADDRESS = "support@bench.example"
STORE_NAME = "Bench Mail Shop"
WIRE = policy.compat32.clone(linesep="\r\n")  # what goes over SMTP: CRLF line ends


# --- Mail generation -----------------------------------------------------------------------

FIRST_NAMES = {
    "en": ["Emma", "Oliver", "Sophie", "James", "Grace", "Daniel", "Chloe", "Liam"],
    "zh": ["王芳", "李伟", "张敏", "刘洋", "陈静", "杨磊", "赵丽", "黄强"],
    "hr": ["Ivana Horvat", "Marko Kovačević", "Ana Babić", "Luka Marić", "Petra Jurić"],
}
LAST_NAMES = ["Wilson", "Clarke", "Patel", "Murphy", "Evans", "Turner", "Hughes", "Lewis"]
DOMAINS = {"en": "example.com", "zh": "example.cn", "hr": "example.hr"}
CHARSETS = {
    "en": ["us-ascii", "utf-8"],
    "zh": ["utf-8", "gb18030"],
    "hr": ["iso-8859-2", "windows-1250"],
}
ZONES = {
    "en": timezone(timedelta(hours=0)),
    "zh": timezone(timedelta(hours=8)),
    "hr": timezone(timedelta(hours=1)),
}
ITEMS = {
    "en": ["a linen shirt", "two pairs of running shoes", "the blue backpack", "a rain jacket"],
    "zh": ["一件亚麻衬衫", "两双跑鞋", "蓝色双肩包", "一件雨衣"],
    "hr": ["lanenu košulju", "dva para tenisica", "plavi ruksak", "kišnu jaknu"],
}
SUBJECTS = {
    "en": [
        "Where is my order #{order}?",
        "Order #{order} not delivered",
        "Question about #{order}",
    ],
    "zh": [
        "订单 #{order} 还没有收到",
        "关于订单 #{order} 的问题",
        "请问我的订单 #{order} 到哪里了？",
    ],
    "hr": [
        "Gdje je narudžba #{order}?",
        "Narudžba #{order} nije stigla",
        "Pitanje o narudžbi #{order}",
    ],
}
NEW_TEXTS = {
    "en": [
        "Hello,\n\nI ordered {item} (order #{order}) last week and it has not arrived yet. The "
        'tracking page has said "in transit" for five days now.\nCould you check where it is?\n\n'
        "Thanks,\n{name}",
        "Hi there,\n\nmy order #{order} arrived today but {item} is the wrong size. How do I "
        "exchange it? I still have the box and the receipt.\n\nBest regards,\n{name}",
    ],
    "zh": [
        "你好，\n\n我上周订购了{item}（订单 #{order}），到现在还没有收到，物流信息五天来一直显示"
        "“运输中”。\n请帮我查一下包裹在哪里，谢谢！\n\n{name}",
        "您好，\n\n今天收到了订单 #{order}，但是{item}的尺码不对。请问怎么换货？包装和小票都还在。"
        "\n\n祝好，\n{name}",
    ],
    "hr": [
        "Poštovani,\n\nprošlog tjedna naručila sam {item} (narudžba #{order}) i još nije stigla. "
        'Praćenje pošiljke već pet dana kaže "u prijevozu".\nMožete li provjeriti gdje je? '
        "Hvala unaprijed.\n\nLijep pozdrav,\n{name}",
        "Dobar dan,\n\ndanas je stigla narudžba #{order}, ali {item} nije dobre veličine. Kako "
        "mogu zamijeniti? Kutiju i račun još imam.\n\nSrdačan pozdrav,\n{name}",
    ],
}
REPLY_TEXTS = {
    "en": [
        "Hi again,\n\nany news about order #{order}? Still nothing here.\n\n{name}",
        "Hello,\n\nsorry to write again: could someone please look at order #{order}? "
        "I need it by Friday.\n\nThanks,\n{name}",
    ],
    "zh": [
        "你好，\n\n请问订单 #{order} 有进展了吗？我还是没有收到。\n\n{name}",
        "您好，\n\n不好意思再次打扰：能请人看一下订单 #{order} 吗？我周五之前需要。"
        "\n\n谢谢，\n{name}",
    ],
    "hr": [
        "Poštovani,\n\nima li novosti o narudžbi #{order}? Još uvijek ništa nije stiglo.\n\n{name}",
        "Dobar dan,\n\noprostite što opet pišem: može li netko pogledati narudžbu #{order}? "
        "Trebam je do petka.\n\nHvala,\n{name}",
    ],
}
REPLY_PREFIX = {"en": "Re: ", "zh": "回复：", "hr": "Odg: "}


def quote_header(lang: str, when: datetime, name: str, address: str) -> str:
    """The line a mail client writes above the quoted earlier mail."""
    if lang == "zh":
        return f"在 {when:%Y年%m月%d日 %H:%M}，{name} <{address}> 写道："
    if lang == "hr":
        return f"Dana {when:%d. %m. %Y. u %H:%M}, {name} <{address}> je napisao/la:"
    return f"On {format_datetime(when)}, {name} <{address}> wrote:"


@dataclass
class Thread:
    customer: int
    lang: str
    name: str
    address: str
    order: int
    subject: str
    message_ids: list[str] = field(default_factory=list)
    last_text: str = ""
    last_plain: str = ""
    last_date: datetime | None = None


@dataclass
class Mail:
    seq: int
    phase: str
    kind: str  # "new" or "reply"
    lang: str
    charset: str
    html: bool
    attachment: str  # "" or the attached file's name
    message_id: str
    root_id: str  # the Message-ID of the thread's first mail
    mail_from: str
    raw: bytes
    text: str  # what storedesk should store: the new text, without the quote
    sent_at: float = 0.0  # wall clock at MAIL FROM
    smtp_s: float | None = None  # MAIL FROM to 250 after DATA
    accepted_at: float | None = None
    error: str = ""


def _header(value: str, charset: str):
    return value if value.isascii() else Header(value, charset)


def _html_of(text: str, previous: str, quote_line: str, charset: str) -> str:
    """The HTML alternative a webmail client writes: paragraphs, and the earlier mail in a
    blockquote below the quote line."""

    def paragraphs(value: str) -> str:
        return "".join(
            f'<p style="margin:0 0 12px 0">{html.escape(p).replace(chr(10), "<br>")}</p>'
            for p in value.split("\n\n")
        )

    style = "font-family:Arial,sans-serif;font-size:14px"
    body = f'<div dir="ltr" style="{style}">{paragraphs(text)}</div>'
    if previous:
        body += (
            '<div class="gmail_quote"><div dir="ltr" class="gmail_attr">'
            f"{html.escape(quote_line)}</div>"
            '<blockquote class="gmail_quote" style="margin:0 0 0 .8ex;border-left:1px #ccc '
            f'solid;padding-left:1ex">{paragraphs(previous)}</blockquote></div>'
        )
    return f'<html><head><meta charset="{charset}"></head><body>{body}</body></html>'


def _attachment(rng: random.Random, lang: str, order: int) -> tuple[str, bytes, str]:
    size = rng.randint(4_000, 24_000)
    if rng.random() < 0.5:
        name = {"en": f"invoice-{order}.pdf", "zh": f"发票-{order}.pdf", "hr": f"račun-{order}.pdf"}
        return name[lang], b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n" + rng.randbytes(size), "application/pdf"
    name = {"en": "photo.png", "zh": "照片.png", "hr": "fotografija.png"}
    return name[lang], b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + rng.randbytes(size), "image/png"


def build_mail(
    rng: random.Random, thread: Thread, *, seq: int, phase: str, run_id: str, args
) -> Mail:
    """One mail of ``thread``: its first if the thread has none yet, else a reply to its
    previous mail, quoting it."""
    lang = thread.lang
    charset = rng.choice(CHARSETS[lang])
    reply = bool(thread.message_ids)
    values = {"order": thread.order, "name": thread.name, "item": rng.choice(ITEMS[lang])}
    text = rng.choice(REPLY_TEXTS[lang] if reply else NEW_TEXTS[lang]).format(**values)
    now = datetime.now(ZONES[lang]).replace(microsecond=0)
    quoted, quote_line = "", ""
    if reply:
        quote_line = quote_header(lang, thread.last_date, thread.name, thread.address)
        # The whole earlier mail is quoted, its own quote included (">>" and so on).
        quoted = "\n".join(
            f">{line}" if line.startswith(">") else f"> {line}" if line else ">"
            for line in thread.last_plain.splitlines()
        )
        plain = f"{text}\n\n{quote_line}\n{quoted}\n"
    else:
        plain = f"{text}\n"
    message_id = f"<{run_id}.{phase}.{seq}.{rng.getrandbits(40):010x}@mail.{DOMAINS[lang]}>"
    with_html = rng.random() < args.html_ratio
    body = MIMEText(plain, "plain", charset)
    if with_html:
        previous = thread.last_text if reply else ""
        body = MIMEMultipart("alternative")
        body.attach(MIMEText(plain, "plain", charset))
        body.attach(MIMEText(_html_of(text, previous, quote_line, charset), "html", charset))
    attachment = ""
    if rng.random() < args.attachment_ratio:
        filename, content, content_type = _attachment(rng, lang, thread.order)
        part = MIMEApplication(content, content_type.split("/")[1])
        part.replace_header("Content-Type", content_type)
        part.add_header("Content-Disposition", "attachment", filename=("utf-8", "", filename))
        mixed = MIMEMultipart("mixed")
        mixed.attach(body)
        mixed.attach(part)
        body, attachment = mixed, filename
    body["From"] = formataddr((thread.name, thread.address), charset=charset)
    body["To"] = f"Bench Mail Shop <{INBOX_ADDRESS}>"
    subject = (REPLY_PREFIX[lang] if reply else "") + thread.subject
    body["Subject"] = _header(subject, charset)
    body["Date"] = format_datetime(now)
    body["Message-ID"] = message_id
    if reply:
        body["In-Reply-To"] = thread.message_ids[-1]
        body["References"] = " ".join(thread.message_ids[-10:])
    body["X-Mailer"] = "storedesk bench"
    mail = Mail(
        seq=seq,
        phase=phase,
        kind="reply" if reply else "new",
        lang=lang,
        charset=charset,
        html=with_html,
        attachment=attachment,
        message_id=message_id,
        root_id=thread.message_ids[0] if reply else message_id,
        mail_from=thread.address,
        raw=body.as_bytes(policy=WIRE),
        text=text,
    )
    thread.message_ids.append(message_id)
    thread.last_text, thread.last_plain, thread.last_date = text, plain, now
    return mail


def generate(count: int, *, phase: str, first_customer: int, run_id: str, args) -> list[Mail]:
    """``count`` mails: new threads from distinct customers, and replies (``reply_ratio``) in
    threads whose previous mail is at least ``reply_gap`` mails earlier."""
    rng = random.Random(f"{args.seed}-{phase}")
    waiting: deque[tuple[int, Thread]] = deque()  # (ready from seq, thread), in seq order
    ready: list[Thread] = []
    customers = itertools.count(first_customer)
    mails = []
    for seq in range(count):
        while waiting and waiting[0][0] <= seq:
            ready.append(waiting.popleft()[1])
        if ready and rng.random() < args.reply_ratio:
            thread = ready.pop(rng.randrange(len(ready)))
        else:
            roll = rng.random()
            lang = (
                "zh"
                if roll < args.zh_ratio
                else "hr"
                if roll < args.zh_ratio + args.hr_ratio
                else "en"
            )
            customer = next(customers)
            first = FIRST_NAMES[lang][customer % len(FIRST_NAMES[lang])]
            name = f"{first} {LAST_NAMES[customer % len(LAST_NAMES)]}" if lang == "en" else first
            order = 100_000 + customer
            thread = Thread(
                customer=customer,
                lang=lang,
                name=name,
                address=f"customer{customer}@{DOMAINS[lang]}",
                order=order,
                subject=rng.choice(SUBJECTS[lang]).format(order=order),
            )
        mails.append(build_mail(rng, thread, seq=seq, phase=phase, run_id=run_id, args=args))
        if len(thread.message_ids) < args.max_per_customer:
            waiting.append((seq + args.reply_gap, thread))
    return mails


def mix_of(mails: list[Mail]) -> dict:
    sizes = [len(m.raw) for m in mails]
    return {
        "mails": len(mails),
        "new": sum(m.kind == "new" for m in mails),
        "replies": sum(m.kind == "reply" for m in mails),
        "languages": dict(Counter(m.lang for m in mails)),
        "charsets": dict(Counter(m.charset for m in mails)),
        "html": sum(m.html for m in mails),
        "attachments": sum(bool(m.attachment) for m in mails),
        "bytes_mean": round(sum(sizes) / len(sizes)) if sizes else 0,
        "bytes_max": max(sizes, default=0),
    }


# --- Sending -------------------------------------------------------------------------------


def smtp_connect(port: int, timeout: float) -> smtplib.SMTP:
    conn = smtplib.SMTP(HOST, port, local_hostname="bench-client.example", timeout=timeout)
    conn.ehlo()
    return conn


def send_all(mails: list[Mail], *, port: int, clients: int, rate: float, timeout: float) -> None:
    """``clients`` threads, one SMTP connection each (reopened after an error), take the next
    mail in order and send it; with ``rate`` the n-th mail is not sent before n / rate s."""
    sequence = itertools.count()
    start = time.perf_counter()

    def client() -> None:
        conn = None
        while (index := next(sequence)) < len(mails):
            mail = mails[index]
            if rate:
                time.sleep(max(0.0, start + index / rate - time.perf_counter()))
            try:
                if conn is None:
                    conn = smtp_connect(port, timeout)
                mail.sent_at = time.time()
                began = time.perf_counter()
                conn.sendmail(mail.mail_from, [INBOX_ADDRESS], mail.raw)
                mail.smtp_s = time.perf_counter() - began
                mail.accepted_at = time.time()
            except (smtplib.SMTPException, OSError) as exc:
                mail.error = f"{type(exc).__name__}: {exc}"[:300]
                with contextlib.suppress(Exception):
                    conn.close()
                conn = None
        if conn is not None:
            with contextlib.suppress(smtplib.SMTPException, OSError):
                conn.quit()

    threads = [threading.Thread(target=client, daemon=True) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


class MessageWatcher:
    """Polls the inbox's messages every ``interval`` s and notes when each Message-ID was
    first visible (the start of the poll that saw it). Ids are handed out before commit, so
    ids skipped by a poll (not committed yet, or rolled back) are asked for again. About
    once a second it also reads the payloads' statuses and the number of connections to
    the database. Its one connection's backend is the client's, not the pipeline's."""

    def __init__(self, inbox_id: int, interval: float):
        self.inbox_id = inbox_id
        self.interval = interval
        self.seen: dict[str, float] = {}
        self.polls = 0
        self.payloads: dict[str, int] = {}
        self.connections_max = 0
        self.backend_pid: int | None = None
        self._max_id = 0
        self._holes: set[int] = set()
        self._stop = threading.Event()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        import psycopg

        with psycopg.connect(f"{PG_URL}/{DATABASE}", autocommit=True) as conn:
            self.backend_pid = conn.info.backend_pid
            last_counts = 0.0
            while not self._stop.is_set():
                began = time.time()
                self._poll(conn, began)
                if began - last_counts >= 1 or not self._ready.is_set():
                    rows = conn.execute(
                        "SELECT status, count(*) FROM inboxes_inboundpayload GROUP BY status"
                    ).fetchall()
                    self.payloads = dict(rows)
                    connections = conn.execute(
                        "SELECT count(*) FROM pg_stat_activity WHERE datname = %s", [DATABASE]
                    ).fetchone()[0]
                    self.connections_max = max(self.connections_max, connections - 1)
                    last_counts = began
                    self._ready.set()
                self._stop.wait(max(0.0, self.interval - (time.time() - began)))

    def _poll(self, conn, began: float) -> None:
        rows = conn.execute(
            "SELECT id, external_id FROM conversations_message WHERE inbox_id = %s "
            "AND kind = 'inbound' AND (id > %s OR id = ANY(%s))",
            [self.inbox_id, self._max_id, list(self._holes)],
        ).fetchall()
        self.polls += 1
        found = set()
        for pk, external_id in rows:
            found.add(pk)
            self.seen.setdefault(external_id, began)
        self._holes -= found
        top = max(found, default=self._max_id)
        if top > self._max_id:
            self._holes |= set(range(self._max_id + 1, top)) - found
            self._max_id = top
        self._holes = {pk for pk in self._holes if pk > self._max_id - 5_000}

    def __enter__(self):
        self._thread.start()
        self._ready.wait(timeout=30)
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join(timeout=10)


def wait_stored(mails: list[Mail], watcher: MessageWatcher, *, timeout: float, label: str) -> None:
    """Until every accepted mail is a visible message, nothing is pending any more (the rest
    failed or was ignored), or ``timeout`` s without progress."""
    wanted = {m.message_id for m in mails if m.accepted_at}
    last_progress, last_count, last_log = time.monotonic(), -1, time.monotonic()
    while True:
        count = sum(1 for mid in wanted if mid in watcher.seen)
        if count == len(wanted):
            return
        now = time.monotonic()
        if count != last_count:
            last_count, last_progress = count, now
        if not watcher.payloads.get("pending") and now - last_progress > 3:
            log(f"{label}: nothing pending, {len(wanted) - count} mails not stored")
            return
        if now - last_progress > timeout:
            log(f"{label}: no progress for {timeout:.0f} s; {len(wanted) - count} not stored")
            return
        if now - last_log > 5:
            log(f"{label}: {count}/{len(wanted)} stored; payloads {watcher.payloads}")
            last_log = now
        time.sleep(0.1)


# --- Processes and measurement -------------------------------------------------------------


def smtpd_command(cli: str, port: int) -> tuple[list[str], str]:
    """``storedesk smtpd``; if this storedesk's command does not offer it (its parser lacks
    the subcommand), the same ``cmd_smtpd`` called directly."""
    probe = subprocess.run([cli, "smtpd", "--help"], capture_output=True, timeout=60, check=False)
    if probe.returncode == 0:
        return [cli, "smtpd", "--host", HOST, "--port", str(port)], "storedesk smtpd"
    code = (
        "import argparse, sys; from storedesk.cli import cmd_smtpd; sys.exit(cmd_smtpd("
        f"argparse.Namespace(home=None, host={HOST!r}, port={port}, "
        "size_limit=40 * 1024 * 1024)))"
    )
    return [sys.executable, "-c", code], "storedesk.cli.cmd_smtpd (no `storedesk smtpd` parser)"


def wait_smtp(process, port: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            tail = Path(process.log_path).read_text(errors="replace")[-3000:]
            raise RuntimeError(f"smtpd exited ({process.returncode}):\n{tail}")
        try:
            conn = smtp_connect(port, 5)
            conn.quit()
            return
        except (OSError, smtplib.SMTPException):
            time.sleep(0.3)
    raise RuntimeError(f"smtpd on port {port} not answering after {timeout:.0f} s")


def proc_snapshot() -> dict[int, tuple[str, int, int, str | None]]:
    """``{pid: (command, process group, user+system ticks, database)}`` of every process;
    the database is the one a PostgreSQL backend serves (from its title), else None."""
    snapshot = {}
    for pid, (command, group, total) in cpu_ticks().items():
        database = None
        if command.startswith("postgres"):
            with contextlib.suppress(OSError):
                title = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
                # "postgres: 15/main: USER DATABASE HOST(PORT) STATE" for a client backend
                words = title.split(": ", 2)[-1].split()
                if len(words) >= 3 and "(" in words[2]:
                    database = words[1]
        snapshot[pid] = (command, group, total, database)
    return snapshot


def cpu_by_role(
    before: dict, after: dict, seconds: float, groups: dict[str, set[int]], client_pids: set[int]
) -> dict:
    """CPU seconds between two ``proc_snapshot`` snapshots, by role: each of ``groups``
    (process groups), PostgreSQL (its own processes and the backends of the benchmark's
    database), Redis, this client, and other processes (backends of other databases
    included). Processes started during the window count from zero; what ran in processes
    that also ended within it is left to the caller (machine total minus these)."""
    ticks = os.sysconf("SC_CLK_TCK")
    spent = dict.fromkeys([*groups, "postgres", "redis", "client", "other"], 0.0)
    for pid, (command, group, total, database) in after.items():
        delta = (total - before[pid][2] if pid in before else total) / ticks
        role = next((name for name, ids in groups.items() if group in ids), None)
        if role is not None:
            pass
        elif pid == os.getpid() or pid in client_pids:
            role = "client"
        elif command.startswith("postgres"):
            role = "postgres" if database in (None, DATABASE) else "other"
        elif command.startswith("redis"):
            role = "redis"
        else:
            role = "other"
        spent[role] += delta
    return {f"{name}_cpu_s": round(value, 2) for name, value in spent.items()}


def run_phase(
    mails: list[Mail], *, args, port: int, watcher: MessageWatcher, groups: dict, label: str
) -> dict:
    cpu_before, busy_before = proc_snapshot(), machine_busy_ticks()
    began = time.time()
    send_all(mails, port=port, clients=args.clients, rate=args.rate, timeout=60)
    sent_done = time.time()
    log(f"{label}: {len(mails)} mails submitted in {sent_done - began:.1f} s; waiting for storage")
    wait_stored(mails, watcher, timeout=args.timeout, label=label)
    ended = time.time()
    seconds = ended - began
    cpu = cpu_by_role(cpu_before, proc_snapshot(), seconds, groups, {watcher.backend_pid})
    busy = (machine_busy_ticks() - busy_before) / os.sysconf("SC_CLK_TCK")
    cpu["machine_busy_cpu_s"] = round(busy, 2)
    cpu["short_lived_cpu_s"] = round(
        max(0.0, busy - sum(v for k, v in cpu.items() if k != "machine_busy_cpu_s")), 2
    )
    # Whatever else used the cores competed with the pipeline: the numbers are skewed.
    cpu["other_pct_of_machine"] = round(
        100 * (cpu["other_cpu_s"] + cpu["short_lived_cpu_s"]) / (seconds * (os.cpu_count() or 1)),
        1,
    )
    return {"began": began, "ended": ended, "cpu": cpu}


def summarise(mails: list[Mail], watcher: MessageWatcher, phase: dict, args) -> dict:
    accepted = [m for m in mails if m.accepted_at]
    smtp = [m.smtp_s for m in accepted]
    first = min(m.sent_at for m in mails if m.sent_at)
    last_accept = max((m.accepted_at for m in accepted), default=first)
    stored = [(m, watcher.seen[m.message_id]) for m in accepted if m.message_id in watcher.seen]
    last_seen = max((at for _, at in stored), default=first)
    e2e = [at - m.sent_at for m, at in stored]
    span = max(last_seen - first, 1e-9)
    smtp_span = max(last_accept - first, 1e-9)
    per_second: dict[str, list[int]] = {}
    for key, times in (
        ("accepted", [m.accepted_at for m in accepted]),
        ("stored", [at for _, at in stored]),
    ):
        buckets = Counter(int(t - first) for t in times)
        per_second[key] = [buckets.get(s, 0) for s in range(int(span) + 1)]
    cpu = phase["cpu"]
    pipeline_cpu = cpu["smtpd_cpu_s"] + cpu["workers_cpu_s"] + cpu["postgres_cpu_s"]
    errors = Counter(m.error.split(":")[0] for m in mails if m.error)
    return {
        "smtp": {
            "sent": len(mails),
            "accepted": len(accepted),
            "errors": sum(errors.values()),
            "error_kinds": dict(errors),
            "error_samples": [m.error for m in mails if m.error][:5],
            "seconds": round(smtp_span, 2),
            "accepted_per_s": round(len(accepted) / smtp_span, 1),
            "p50_ms": ms(percentile(smtp, 50)),
            "p95_ms": ms(percentile(smtp, 95)),
            "p99_ms": ms(percentile(smtp, 99)),
            "max_ms": ms(max(smtp, default=None)),
        },
        "end_to_end": {
            "stored": len(stored),
            "seconds": round(span, 2),
            "emails_per_s": round(len(stored) / span, 1),
            "drain_after_last_accept_s": round(last_seen - last_accept, 2),
            "p50_ms": ms(percentile(e2e, 50)),
            "p95_ms": ms(percentile(e2e, 95)),
            "p99_ms": ms(percentile(e2e, 99)),
            "max_ms": ms(max(e2e, default=None)),
            "poll_interval_ms": ms(args.poll_interval),
        },
        "per_second": per_second,
        "cpu": cpu,
        "cpu_ms_per_email": {
            "smtpd": round(1000 * cpu["smtpd_cpu_s"] / max(len(stored), 1), 2),
            "workers": round(1000 * cpu["workers_cpu_s"] / max(len(stored), 1), 2),
            "postgres": round(1000 * cpu["postgres_cpu_s"] / max(len(stored), 1), 2),
            "pipeline": round(1000 * pipeline_cpu / max(len(stored), 1), 2),
        },
    }


# --- Checks --------------------------------------------------------------------------------


def _plain(text: str) -> str:
    return " ".join(text.split())


def verify(mails: list[Mail], inbox_id: int) -> dict:
    """Compare what storedesk stored with every mail that SMTP accepted."""
    import psycopg

    accepted = [m for m in mails if m.accepted_at]
    by_id = {m.message_id: m for m in accepted}
    with psycopg.connect(f"{PG_URL}/{DATABASE}", autocommit=True) as conn:
        rows = conn.execute(
            "SELECT m.external_id, m.conversation_id, m.text, m.html <> '', "
            "(SELECT count(*) FROM conversations_attachment a WHERE a.message_id = m.id) "
            "FROM conversations_message m WHERE m.inbox_id = %s AND m.kind = 'inbound'",
            [inbox_id],
        ).fetchall()
        conversations = dict(
            conn.execute(
                "SELECT id, message_count FROM conversations_conversation WHERE inbox_id = %s",
                [inbox_id],
            ).fetchall()
        )
        contacts = conn.execute("SELECT count(*) FROM contacts_contact").fetchone()[0]
        statuses = dict(
            conn.execute(
                "SELECT status, count(*) FROM inboxes_inboundpayload GROUP BY status"
            ).fetchall()
        )
        failures = conn.execute(
            "SELECT id, status, sender, error, problems FROM inboxes_inboundpayload "
            "WHERE status <> 'processed' ORDER BY id LIMIT 20"
        ).fetchall()
        problems = conn.execute(
            "SELECT problems::text, count(*) FROM inboxes_inboundpayload "
            "WHERE problems <> '[]'::jsonb GROUP BY 1 ORDER BY 2 DESC LIMIT 10"
        ).fetchall()
    stored: dict[str, list] = {}
    for external_id, conversation_id, text, has_html, attachments in rows:
        stored.setdefault(external_id, []).append((conversation_id, text, has_html, attachments))
    duplicates = [mid for mid, found in stored.items() if len(found) > 1]
    unexpected = [mid for mid in stored if mid not in by_id]
    missing = [mid for mid in by_id if mid not in stored]
    conversation_of = {mid: found[0][0] for mid, found in stored.items()}
    new = [m for m in accepted if m.kind == "new" and m.message_id in conversation_of]
    new_conversations = {conversation_of[m.message_id] for m in new}
    misthreaded = [
        m.message_id
        for m in accepted
        if m.kind == "reply"
        and m.message_id in conversation_of
        and conversation_of[m.message_id] != conversation_of.get(m.root_id)
    ]
    thread_sizes = Counter(
        conversation_of[m.message_id] for m in accepted if m.message_id in stored
    )
    wrong_counts = [c for c, n in thread_sizes.items() if conversations.get(c) != n]
    wrong_text, no_html, no_attachment = [], [], []
    for mid, found in stored.items():
        mail = by_id.get(mid)
        if mail is None:
            continue
        _, text, has_html, attachments = found[0]
        if _plain(text) != _plain(mail.text):
            wrong_text.append({"message_id": mid, "charset": mail.charset, "stored": text[:160]})
        if mail.html and not has_html:
            no_html.append(mid)
        if mail.attachment and attachments != 1:
            no_attachment.append(mid)
    customers = len({m.mail_from for m in accepted})
    result = {
        "accepted_mails": len(accepted),
        "inbound_messages": len(rows),
        "missing": len(missing),
        "duplicates": len(duplicates),
        "unexpected": len(unexpected),
        "conversations": len(conversations),
        "new_mails": sum(m.kind == "new" for m in accepted),
        "new_mails_sharing_a_conversation": len(new) - len(new_conversations),
        "replies": sum(m.kind == "reply" for m in accepted),
        "replies_in_wrong_conversation": len(misthreaded),
        "conversations_with_wrong_message_count": len(wrong_counts),
        "contacts": contacts,
        "customers": customers,
        "text_mismatches": len(wrong_text),
        "html_missing": len(no_html),
        "attachment_missing": len(no_attachment),
        "payloads": statuses,
        "payload_problems": [{"problems": p, "count": n} for p, n in problems],
        "failures": [
            {"payload": pk, "status": st, "sender": sender, "error": error, "problems": pr}
            for pk, st, sender, error, pr in failures
        ],
        "samples": {
            "missing": missing[:5],
            "duplicates": duplicates[:5],
            "unexpected": unexpected[:5],
            "misthreaded": misthreaded[:5],
            "wrong_text": wrong_text[:3],
        },
    }
    result["ok"] = (
        not missing
        and not duplicates
        and not unexpected
        and len(conversations) == result["new_mails"]
        and result["new_mails_sharing_a_conversation"] == 0
        and not misthreaded
        and not wrong_counts
        and not wrong_text
        and not no_html
        and not no_attachment
        and contacts == customers
        and set(statuses) <= {"processed"}
    )
    return result


# --- Profiling -----------------------------------------------------------------------------


def py_spy_start(
    processes: Processes, targets: dict[str, int], logs: Path, suffix: str = ""
) -> dict[str, Path]:
    """``py-spy record`` (raw collapsed stacks, non-blocking) on each target pid."""
    py_spy = shutil.which("py-spy", path=str(Path(sys.executable).parent)) or shutil.which("py-spy")
    if py_spy is None:
        log("py-spy not found (pip install py-spy); not profiling")
        return {}
    outputs = {}
    for name, pid in targets.items():
        output = logs / f"py-spy-{name}{suffix}.txt"
        processes.start(
            [
                py_spy,
                "record",
                "--pid",
                str(pid),
                "--rate",
                "100",
                "--nonblocking",
                "--gil",
                "--format",
                "raw",
                "--output",
                str(output),
            ],
            env=dict(os.environ),
            cwd=logs,
            log_path=logs / f"py-spy-{name}{suffix}.log",
        )
        outputs[name] = output
    return outputs


def py_spy_stop(processes: Processes) -> None:
    for process in processes.running:
        if "py-spy" in Path(process.args[0]).name and process.poll() is None:
            process.send_signal(signal.SIGINT)
    for process in processes.running:
        if "py-spy" in Path(process.args[0]).name:
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=30)


_FRAME = re.compile(r"^(?P<func>.+?) \((?P<file>[^()]*?)(?::(?P<line>\d+))?\)$")


def _frame_name(frame: str) -> str:
    match = _FRAME.match(frame)
    if not match:
        return frame
    path = match["file"]
    for marker in ("site-packages/", "lib/python3.11/", "/storedesk/"):
        if marker in path:
            path = ("storedesk/" if marker == "/storedesk/" else "") + path.split(marker, 1)[1]
            break
    return f"{match['func']} ({path})"


def py_spy_summary(output: Path, top: int = 25) -> dict:
    """Inclusive and self sample shares per function, from py-spy's raw collapsed stacks;
    idle samples (threads waiting on a lock, a socket or the queue) are counted apart."""
    if not output.exists():
        return {"error": f"{output.name} not written"}
    inclusive: Counter = Counter()
    own: Counter = Counter()
    total = idle = 0
    idle_leaves = (
        "wait (threading.py",
        "select (selectors.py",
        "_recv",
        "bzpopmin",
        "sleep",
        "read_response",
        "recv_into",
        "_wait_for_tstate_lock",
        "accept",
        "poll (",
    )
    for line in output.read_text(errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        samples = int(count)
        frames = [_frame_name(f) for f in stack.split(";") if f.strip()]
        frames = [f for f in frames if not f.startswith("process ") and not f.startswith("thread ")]
        if not frames:
            continue
        total += samples
        if any(frames[-1].startswith(leaf) or leaf in frames[-1] for leaf in idle_leaves):
            idle += samples
            continue
        own[frames[-1]] += samples
        for name in set(frames):
            inclusive[name] += samples
    busy = max(total - idle, 1)
    return {
        "samples": total,
        "idle_samples": idle,
        "busy_samples": total - idle,
        "inclusive_pct_of_busy": [
            {"pct": round(100 * n / busy, 1), "function": name}
            for name, n in inclusive.most_common(top)
        ],
        "self_pct_of_busy": [
            {"pct": round(100 * n / busy, 1), "function": name} for name, n in own.most_common(top)
        ],
        "storedesk_inclusive_pct_of_busy": [
            {"pct": round(100 * n / busy, 1), "function": name}
            for name, n in inclusive.most_common()
            if "(storedesk/" in name
        ][:top],
    }


# --- storedesk setup (runs inside a storedesk interpreter) ---------------------------------


def helper_setup(options: dict) -> dict:
    import django

    django.setup()
    from storedesk.inboxes.services import inbox_create
    from storedesk.stores.services import store_create

    store = store_create(name=STORE_NAME, slug="bench-mail-shop")
    inbox = inbox_create(
        store=store,
        kind="email",
        name="Bench support mail",
        config={"address": INBOX_ADDRESS, "from_name": STORE_NAME},
    )
    import storedesk

    return {
        "store_id": store.pk,
        "inbox_id": inbox.pk,
        "code": code_origin(Path(storedesk.__file__).parent.parent),
    }


def machine_info(redis_url: str) -> dict:
    cpu_model = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu_model = line.split(":", 1)[1].strip()
                break
    redis_version = None
    with contextlib.suppress(Exception):
        import redis

        redis_version = redis.Redis.from_url(redis_url).info("server")["redis_version"]
    return {
        "cores": os.cpu_count(),
        "cpu_model": cpu_model,
        "memory_gib": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
        "python": sys.version.split()[0],
        "postgresql": pg_version(),
        "redis": redis_version,
        "platform": sys.platform,
    }


# --- Report --------------------------------------------------------------------------------


def print_summary(report: dict) -> None:
    r = report["result"]
    smtp, e2e, cpu, check = r["smtp"], r["end_to_end"], r["cpu"], report["verification"]
    mix = report["mix"]
    print()
    print(
        f"storedesk email ingest, {report['started']} ({report['machine']['cpu_model']}, "
        f"{report['machine']['cores']} cores, PostgreSQL {report['machine']['postgresql']}, "
        f"Redis {report['machine']['redis']})"
    )
    print(f"  pipeline: {report['config']['smtpd']}; workers: {report['config']['workers']}")
    rate = report["config"]["rate"]
    print(
        f"  load: {report['config']['clients']} SMTP clients, "
        + (f"{rate} mails/s offered" if rate else "as fast as accepted")
    )
    print(
        f"  mails: {mix['mails']} ({mix['new']} new, {mix['replies']} replies; "
        f"{mix['languages']}; {mix['html']} with HTML, {mix['attachments']} with an attachment; "
        f"{mix['bytes_mean']} bytes on average)"
    )
    print(
        f"  SMTP accepted:  {smtp['accepted_per_s']:>7} mails/s   latency p50 {smtp['p50_ms']} / "
        f"p95 {smtp['p95_ms']} / p99 {smtp['p99_ms']} / max {smtp['max_ms']} ms   "
        f"errors {smtp['errors']}"
    )
    print(
        f"  end to end:     {e2e['emails_per_s']:>7} emails/s  latency p50 {e2e['p50_ms']} / "
        f"p95 {e2e['p95_ms']} / p99 {e2e['p99_ms']} / max {e2e['max_ms']} ms   "
        f"({e2e['stored']} stored in {e2e['seconds']} s; last stored "
        f"{e2e['drain_after_last_accept_s']} s after the last 250; "
        f"poll every {e2e['poll_interval_ms']} ms)"
    )
    capacity = round(e2e["seconds"] * report["machine"]["cores"], 1)
    print(
        f"  CPU s: smtpd {cpu['smtpd_cpu_s']}, workers {cpu['workers_cpu_s']}, postgres "
        f"{cpu['postgres_cpu_s']}, redis {cpu['redis_cpu_s']}, client {cpu['client_cpu_s']}, "
        f"short-lived {cpu['short_lived_cpu_s']}, other {cpu['other_cpu_s']} "
        f"(machine busy {cpu['machine_busy_cpu_s']} of {capacity})"
    )
    per = r["cpu_ms_per_email"]
    print(
        f"  CPU ms per email: smtpd {per['smtpd']}, workers {per['workers']}, postgres "
        f"{per['postgres']} (pipeline {per['pipeline']})"
    )
    if cpu["other_pct_of_machine"] > 5:
        print(
            f"  WARNING: other processes (short-lived ones included) used "
            f"{cpu['other_pct_of_machine']}% of the machine: the numbers are skewed"
        )
    if len(report.get("attempts", [])) > 1:
        tries = ", ".join(
            f"{a['emails_per_s']}/s with {a['other_pct_of_machine']}% other"
            for a in report["attempts"]
        )
        print(
            f"  attempts (end to end, other processes' share): {tries}; reported: "
            f"attempt {r['attempt']}"
        )
    verdict = "all checks passed" if check["ok"] else "CHECKS FAILED"
    print(
        f"  checks ({check['accepted_mails']} mails, warm-up included): {verdict}: "
        f"{check['inbound_messages']} messages, {check['missing']} missing, "
        f"{check['duplicates']} duplicated; {check['conversations']} conversations for "
        f"{check['new_mails']} new mails; {check['replies_in_wrong_conversation']} of "
        f"{check['replies']} replies misthreaded; {check['text_mismatches']} texts, "
        f"{check['html_missing']} HTML, {check['attachment_missing']} attachments wrong; "
        f"payloads {check['payloads']}"
    )
    for failure in check["failures"]:
        print(
            f"    payload {failure['payload']} {failure['status']} ({failure['sender']}): "
            f"{failure['error'][:200]}"
        )
    for key, values in check["samples"].items():
        if values:
            print(f"    {key}: {values}")
    for item in check["payload_problems"]:
        print(f"    {item['count']} payloads flagged: {item['problems'][:160]}")
    for name, summary in report.get("profile", {}).items():
        if "error" in summary:
            print(f"  py-spy {name}: {summary['error']}")
            continue
        print(
            f"  py-spy {name}: {summary['busy_samples']} samples holding the GIL; storedesk "
            "functions (% of samples, callees included), then the top own-time functions:"
        )
        for item in summary["storedesk_inclusive_pct_of_busy"][:12]:
            print(f"    {item['pct']:>5}  {item['function']}")
        for item in summary["self_pct_of_busy"][:6]:
            print(f"    {item['pct']:>5}  {item['function']} (own time)")
    target = 100
    status = "met" if e2e["emails_per_s"] >= target else "NOT met"
    print(f"  target: >= {target} emails/s end to end on 2 cores: {status}")


# --- Entry point ---------------------------------------------------------------------------


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=3000, help="measured mails")
    parser.add_argument("--warmup", type=int, default=300, help="mails sent first, not counted")
    parser.add_argument("--clients", type=int, default=4, help="SMTP client connections")
    parser.add_argument(
        "--rate", type=float, default=0, help="offered mails/s in all (0: as fast as accepted)"
    )
    parser.add_argument(
        "--worker-processes",
        type=int,
        default=2,
        help="`storedesk worker` processes (huey consumers; one per core by default)",
    )
    parser.add_argument(
        "--worker-threads",
        type=int,
        default=4,
        help="thread workers in each worker process (`storedesk worker --workers`)",
    )
    parser.add_argument("--reply-ratio", type=float, default=0.4, help="share of replies")
    parser.add_argument(
        "--reply-gap", type=int, default=200, help="mails between a mail and the reply to it"
    )
    parser.add_argument(
        "--max-per-customer", type=int, default=5, help="mails per customer at most (< 20)"
    )
    parser.add_argument("--html-ratio", type=float, default=0.7, help="share with an HTML part")
    parser.add_argument("--attachment-ratio", type=float, default=0.1, help="share with a file")
    parser.add_argument("--zh-ratio", type=float, default=0.2, help="share of Chinese customers")
    parser.add_argument("--hr-ratio", type=float, default=0.2, help="share of Croatian customers")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--poll-interval", type=float, default=0.05, help="seconds between message polls"
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=120,
        help="give up after this many seconds without progress",
    )
    parser.add_argument(
        "--quiet-wait",
        type=float,
        default=120,
        help="seconds to wait at most for other processes to leave the CPU idle",
    )
    parser.add_argument(
        "--attempts",
        type=int,
        default=3,
        help="measure again (new mail, same pipeline) while other processes took more than "
        "--max-interference of the machine, this many times at most; the least disturbed "
        "attempt is reported",
    )
    parser.add_argument(
        "--max-interference",
        type=float,
        default=5.0,
        help="percent of the machine that other processes may use during a measurement",
    )
    parser.add_argument("--py-spy", action="store_true", help="sample smtpd and the workers")
    parser.add_argument(
        "--redis-url",
        default="redis://127.0.0.1:6379/13",
        help="queue and channel layer; this Redis database is flushed",
    )
    parser.add_argument(
        "--output", help="JSON file (default: bench/results/email_ingest-<time>.json)"
    )
    parser.add_argument("--helper", choices=["setup"], help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.helper:
        print(json.dumps(helper_setup({}), default=str))
        return 0
    run_id = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    logs = RESULTS_DIR / f"email_ingest-{run_id}-logs"
    logs.mkdir(parents=True, exist_ok=True)
    processes = Processes()
    profilers = Processes()

    def on_signal(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_signal)
    home = Path(tempfile.mkdtemp(prefix="storedesk-email-bench-"))
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": os.environ.get(
            "DJANGO_SETTINGS_MODULE", "storedesk.config.settings"
        ),
        "STOREDESK_HOME": str(home),
        "STOREDESK_DATABASE_URL": f"{PG_URL}/{DATABASE}",
        "STOREDESK_REDIS_URL": args.redis_url,
        "STOREDESK_SECRET_KEY": "email-bench-only-not-a-secret",
        "STOREDESK_LOG_LEVEL": "WARNING",
        "STOREDESK_DEBUG": "0",
    }
    cli = str(Path(sys.executable).parent / "storedesk")
    report: dict = {
        "benchmark": "bench/email_ingest.py",
        "started": datetime.now(UTC).isoformat(timespec="seconds"),
        "argv": sys.argv[1:],
        "machine": machine_info(args.redis_url),
    }
    started = time.monotonic()
    try:
        log(f"database {DATABASE}: create, migrate; flush {args.redis_url}")
        recreate_database(DATABASE)
        import redis

        redis.Redis.from_url(args.redis_url).flushdb()
        run_checked([cli, "migrate"], env=env, cwd=Path.cwd())
        setup = json.loads(
            run_checked(
                [sys.executable, str(Path(__file__).resolve()), "--helper", "setup"], env=env
            )
            .strip()
            .splitlines()[-1]
        )
        report["code"] = setup["code"]
        warm = generate(args.warmup, phase="warm", first_customer=1, run_id=run_id, args=args)
        sent = list(warm)

        port = free_port()
        command, smtpd_label = smtpd_command(cli, port)
        if "no `storedesk smtpd`" in smtpd_label:
            log("note: `storedesk smtpd` is not a subcommand of this storedesk; calling cmd_smtpd")
        smtpd = processes.start(command, env=env, cwd=home, log_path=logs / "smtpd.log")
        workers = [
            processes.start(
                [cli, "worker", "--workers", str(args.worker_threads)],
                env=env,
                cwd=home,
                log_path=logs / f"worker-{n}.log",
            )
            for n in range(args.worker_processes)
        ]
        wait_smtp(smtpd, port)
        report["config"] = {
            "smtpd": f"{smtpd_label} --host {HOST} --port N (one process)",
            "workers": f"{args.worker_processes} x `storedesk worker --workers "
            f"{args.worker_threads}` (huey consumer, thread workers, PriorityRedisHuey)",
            "worker_processes": args.worker_processes,
            "worker_threads": args.worker_threads,
            "clients": args.clients,
            "rate": args.rate,
            "count": args.count,
            "warmup": args.warmup,
            "redis_url": args.redis_url,
            "database": f"{PG_URL}/{DATABASE}",
        }
        groups = {"smtpd": {smtpd.pid}, "workers": {w.pid for w in workers}}
        with MessageWatcher(setup["inbox_id"], args.poll_interval) as watcher:
            log(f"smtpd on port {port}; {len(workers)} worker(s); warm-up: {len(warm)} mails")
            run_phase(warm, args=args, port=port, watcher=watcher, groups=groups, label="warm-up")
            for process in (smtpd, *workers):
                if process.poll() is not None:
                    raise RuntimeError(f"{process.args[:2]} exited ({process.returncode})")
            attempts: list[tuple[dict, list[Mail], dict]] = []
            for attempt in range(1, args.attempts + 1):
                mails = generate(
                    args.count,
                    phase=f"run{attempt}",
                    first_customer=attempt * 1_000_000,
                    run_id=run_id,
                    args=args,
                )
                sent += mails
                quiet_before = wait_for_quiet(args.quiet_wait)
                outputs = {}
                if args.py_spy:
                    outputs = py_spy_start(
                        profilers,
                        {
                            "smtpd": smtpd.pid,
                            **{f"worker-{n}": w.pid for n, w in enumerate(workers)},
                        },
                        logs,
                        suffix=f"-{attempt}",
                    )
                    groups["py_spy"] = {process.pid for process in profilers.running}
                log(f"measured ({attempt}): {len(mails)} mails over {args.clients} connections")
                watcher.connections_max = 0
                phase = run_phase(
                    mails, args=args, port=port, watcher=watcher, groups=groups, label="measured"
                )
                py_spy_stop(profilers)
                result = summarise(mails, watcher, phase, args)
                result["attempt"] = attempt
                result["cpu_in_use_before_pct"] = quiet_before
                result["pg_connections_max"] = watcher.connections_max
                profile = {name: py_spy_summary(path) for name, path in outputs.items()}
                attempts.append((result, mails, profile))
                skew = result["cpu"]["other_pct_of_machine"]
                log(
                    f"measured ({attempt}): {result['end_to_end']['emails_per_s']} emails/s end "
                    f"to end; other processes used {skew}% of the machine"
                )
                if skew <= args.max_interference:
                    break
            # The attempt least disturbed by other processes is the one reported.
            result, mails, profile = min(
                attempts, key=lambda item: item[0]["cpu"]["other_pct_of_machine"]
            )
            report["result"] = result
            report["mix"] = mix_of(mails)
            report["attempts"] = [
                {
                    "attempt": r["attempt"],
                    "emails_per_s": r["end_to_end"]["emails_per_s"],
                    "smtp_accepted_per_s": r["smtp"]["accepted_per_s"],
                    "other_pct_of_machine": r["cpu"]["other_pct_of_machine"],
                }
                for r, _, _ in attempts
            ]
            if profile:
                report["profile"] = profile
        log("checking what was stored")
        report["verification"] = verify(sent, setup["inbox_id"])
    finally:
        profilers.stop_all()
        processes.stop_all()
        shutil.rmtree(home, ignore_errors=True)
    report["total_seconds"] = round(time.monotonic() - started, 1)
    output = Path(args.output) if args.output else RESULTS_DIR / f"email_ingest-{run_id}.json"
    output.write_text(json.dumps(report, indent=2, default=str, ensure_ascii=False))
    print_summary(report)
    print(f"\nJSON: {output}\nlogs: {logs}\ntotal: {report['total_seconds']} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
