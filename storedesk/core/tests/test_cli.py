"""The ``storedesk`` command, run as a customer would run it: real processes, a temporary
home, real HTTP."""

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request

import pytest

from storedesk.core.testing import free_port

STOREDESK = [sys.executable, "-m", "storedesk.cli"]


def _env(home) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("STOREDESK_")}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    env["STOREDESK_HOME"] = str(home)
    return env


def _run(home, *args, timeout=120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*STOREDESK, *args], env=_env(home), capture_output=True, text=True, timeout=timeout
    )


def _get(url: str, token: str | None = None):
    request = urllib.request.Request(url)
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 (loopback)
        return response.status, json.loads(response.read())


def test_migrate_createadmin_and_token(tmp_path):
    assert _run(tmp_path, "migrate").returncode == 0
    created = _run(tmp_path, "createadmin", "--username", "lead", "--password", "s3cret-pass!")
    assert created.returncode == 0, created.stderr
    again = _run(tmp_path, "createadmin", "--username", "lead")
    assert again.returncode == 2 and "taken" in again.stderr
    token = _run(tmp_path, "token", "create", "--user", "lead")
    assert token.returncode == 0 and token.stdout.startswith("sdk_")
    missing = _run(tmp_path, "token", "create", "--user", "nobody")
    assert missing.returncode == 2 and "no active agent" in missing.stderr
    # The secret key persists in the home directory with owner-only permissions.
    key_file = tmp_path / "secret_key"
    assert key_file.exists() and oct(key_file.stat().st_mode & 0o777) == "0o600"


@pytest.mark.skipif(
    bool(os.environ.get("STOREDESK_DATABASE_URL")),
    reason="the embedded demo is exercised in the SQLite pass",
)
def test_demo_starts_serves_and_stops(tmp_path):
    port = free_port()
    process = subprocess.Popen(
        [*STOREDESK, "demo", "--port", str(port)],
        env=_env(tmp_path),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    output = []
    try:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            line = process.stdout.readline()
            if not line and process.poll() is not None:
                break
            output.append(line)
            if line.startswith("Press Ctrl-C"):
                break
        text = "".join(output)
        assert "storedesk is running." in text, text
        assert f"http://127.0.0.1:{port}/" in text
        assert "Sign in as:  admin / " in text
        for _ in range(100):
            try:
                status, health = _get(f"http://127.0.0.1:{port}/healthz")
                break
            except OSError:
                time.sleep(0.2)
        assert status == 200 and health["database"]["vendor"] == "sqlite"
        assert health["queue"] == "SqliteHuey"

        token = _run(tmp_path, "token", "create", "--user", "admin").stdout.strip()
        status, page = _get(f"http://127.0.0.1:{port}/api/v1/conversations?limit=5", token)
        assert status == 200 and len(page["items"]) == 5 and page["next_cursor"]
        status, inboxes = _get(f"http://127.0.0.1:{port}/api/v1/inboxes", token)
        assert status == 200 and {i["kind"] for i in inboxes} >= {"api", "webform", "email"}
        address = next(i["address"] for i in inboxes if i["kind"] == "email")
        _mail_through_smtpd(tmp_path, address, port, token)
    finally:
        process.send_signal(signal.SIGINT)
        try:
            code = process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            raise
    assert code in (0, 130), "".join(output)


def _mail_through_smtpd(home, address: str, web_port: int, token: str) -> None:
    """``storedesk smtpd`` beside the running demo: a mail to a demo inbox's address becomes
    a conversation (processed by the demo's in-process worker)."""
    import smtplib
    from email.message import EmailMessage

    smtp_port = free_port()
    smtpd = subprocess.Popen(
        [*STOREDESK, "smtpd", "--port", str(smtp_port)],
        env=_env(home),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        # aiosmtpd's start-up probe logs a few lines of its own first (how many varies).
        started = []
        while len(started) < 30 and not any("SMTP receiver on" in line for line in started):
            started.append(smtpd.stdout.readline())
        assert any("storedesk SMTP receiver on" in line for line in started), started
        mail = EmailMessage()
        mail["From"] = "Marija Babić <marija@example.hr>"
        mail["To"] = address
        mail["Subject"] = "Zamjena veličine 38 za 40"
        mail["Message-ID"] = "<cli-smoke@example.hr>"
        mail.set_content("Mogu li zamijeniti cipele?")
        with smtplib.SMTP("127.0.0.1", smtp_port, timeout=10) as client:
            client.send_message(mail)
        url = f"http://127.0.0.1:{web_port}/api/v1/conversations?status=open&sort=newest&limit=5"
        for _ in range(100):
            _status, page = _get(url, token)
            subjects = [c["subject"] for c in page["items"]]
            if "Zamjena veličine 38 za 40" in subjects:
                break
            time.sleep(0.2)
        assert "Zamjena veličine 38 za 40" in subjects
    finally:
        smtpd.send_signal(signal.SIGINT)
        try:
            smtpd.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(smtpd.pid, signal.SIGKILL)
            raise


@pytest.mark.skipif(
    bool(os.environ.get("STOREDESK_DATABASE_URL")),
    reason="the embedded database is exercised in the SQLite pass",
)
def test_analytics_refresh_folds_the_demo_history(tmp_path):
    assert _run(tmp_path, "migrate").returncode == 0
    assert _run(tmp_path, "loaddemo").returncode == 0
    done = _run(tmp_path, "analytics", "refresh", "--signals", "0")
    assert done.returncode == 0, done.stderr
    first = json.loads(done.stdout)
    assert first["conversations"] > 1000 and first["days"] >= 60
    again = json.loads(_run(tmp_path, "analytics", "refresh", "--signals", "0").stdout)
    # Only what changed since (nothing but the last two minutes' overlap) is read again.
    assert again["conversations"] < first["conversations"]
