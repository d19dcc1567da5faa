"""Fixtures of the inboxes tests: a real Dovecot IMAP server on loopback.

``dovecot`` (one per test session) runs Debian's ``dovecot`` with a configuration of its
own in a temporary directory: IMAPS and IMAP+STARTTLS on free loopback ports, a certificate
from a CA made for the session (so the client really verifies), users in a passwd-file, and
XOAUTH2 checked by an OAuth2 token-info endpoint served by the test process. ``mailbox``
gives each test a fresh user, so tests never see each other's mail. Without dovecot the
tests skip, except in CI (``CI=true``), where a missing service must fail loudly.
"""

from __future__ import annotations

import dataclasses
import datetime
import grp
import imaplib
import ipaddress
import itertools
import json
import os
import pwd
import secrets
import shutil
import socket
import ssl
import subprocess
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from storedesk.core.testing import free_port

DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"


def _certificates(directory: Path) -> str:
    """A CA and a server certificate for 127.0.0.1/localhost signed by it, written to
    ``directory``; returns the CA certificate (PEM)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "storedesk test CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=2))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    server = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=2))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(
            x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    ca_pem = ca.public_bytes(serialization.Encoding.PEM).decode()
    (directory / "server.pem").write_bytes(server.public_bytes(serialization.Encoding.PEM))
    key_file = directory / "server.key"
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    key_file.chmod(0o600)  # read by dovecot's master process only
    return ca_pem


class _TokenInfo(BaseHTTPRequestHandler):
    """An OAuth2 token-info endpoint: ``?access_token=<t>`` answers the token's user."""

    tokens: dict[str, str] = {}

    def do_GET(self):  # noqa: N802
        token = self.path.split("access_token=", 1)[-1].split("&", 1)[0]
        user = self.tokens.get(token)
        body = json.dumps({"email": user} if user else {"error": "invalid_token"}).encode()
        self.send_response(200 if user else 401)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def _mail_owner() -> tuple[int, int, list[str]]:
    """The uid/gid mail is stored as, and the settings that let dovecot run as us.

    As root, dovecot refuses to serve mail as uid 0: mail then belongs to the ``dovecot``
    system user (created by the package) and the default service users stay. Otherwise
    everything runs as the current user (dovecot's rootless mode)."""
    if os.geteuid() == 0:
        owner = pwd.getpwnam("dovecot")
        return owner.pw_uid, owner.pw_gid, []
    me = pwd.getpwuid(os.getuid())
    group = grp.getgrgid(os.getgid()).gr_name
    return (
        me.pw_uid,
        me.pw_gid,
        [
            f"default_internal_user = {me.pw_name}",
            f"default_login_user = {me.pw_name}",
            f"default_internal_group = {group}",
        ],
    )


def _config(base: Path, imaps: int, imap: int, uid: int, gid: int, extra) -> str:
    return "\n".join(
        [
            "protocols = imap",
            "listen = 127.0.0.1",
            f"base_dir = {base}/run",
            f"state_dir = {base}/state",
            f"log_path = {base}/dovecot.log",
            *extra,
            f"first_valid_uid = {uid}",
            f"first_valid_gid = {gid}",
            "ssl = required",
            f"ssl_cert = <{base}/server.pem",
            f"ssl_key = <{base}/server.key",
            "auth_mechanisms = plain login xoauth2",
            # No deliberate delays after failed logins: the tests fail logins on purpose.
            "auth_failure_delay = 0",
            "passdb {",
            "  driver = passwd-file",
            # One file per user: a new file is read at once, a changed one maybe not.
            f"  args = scheme=PLAIN {base}/passwd.d/%u",
            "}",
            "passdb {",
            "  driver = oauth2",
            "  mechanisms = xoauth2",
            f"  args = {base}/oauth2.conf.ext",
            "}",
            "userdb {",
            "  driver = static",
            f"  args = uid={uid} gid={gid} home={base}/mail/%u",
            "}",
            "mail_location = maildir:~/Maildir",
            "service imap-login {",
            "  chroot =",
            f"  inet_listener imap {{\n    port = {imap}\n  }}",
            f"  inet_listener imaps {{\n    port = {imaps}\n    ssl = yes\n  }}",
            "}",
            "service anvil {",
            "  chroot =",
            # No growing penalty for one address's failed logins either.
            "  unix_listener anvil-auth-penalty {\n    mode = 0\n  }",
            "}",
            "",
        ]
    )


@dataclasses.dataclass
class Dovecot:
    base: Path
    imaps_port: int
    imap_port: int
    ca_pem: str
    _users: itertools.count = dataclasses.field(default_factory=lambda: itertools.count(1))

    def add_user(self) -> tuple[str, str]:
        """A new mail user (empty mailbox); returns its name and password."""
        username = f"user{next(self._users)}"
        password = secrets.token_urlsafe(12)
        passwd = self.base / "passwd.d" / username
        passwd.write_text(f"{username}:{{PLAIN}}{password}\n")
        return username, password

    def issue_token(self, username: str) -> str:
        """An OAuth2 access token the server accepts for ``username`` (XOAUTH2)."""
        token = secrets.token_urlsafe(24)
        _TokenInfo.tokens[token] = username
        return token

    def log(self) -> str:
        path = self.base / "dovecot.log"
        return path.read_text(errors="replace")[-4000:] if path.exists() else ""


def _wait_for_ports(process: subprocess.Popen, ports, server: Dovecot) -> None:
    deadline = time.monotonic() + 20
    pending = set(ports)
    while pending:
        if process.poll() is not None:
            raise RuntimeError(f"dovecot exited ({process.returncode}):\n{server.log()}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"dovecot did not listen on {sorted(pending)}:\n{server.log()}")
        for port in list(pending):
            with socket.socket() as probe:
                probe.settimeout(1)
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    pending.discard(port)
        time.sleep(0.05)


@pytest.fixture(scope="session")
def dovecot():
    """Dovecot on loopback for the session. Missing: skip locally, fail in CI."""
    if not os.path.exists(DOVECOT):
        message = (
            "dovecot is not installed (bash scripts/ensure-dovecot.sh, or "
            "apt-get install dovecot-imapd): the IMAP tests need a real server"
        )
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    # Not pytest's tmp_path: dovecot's unix sockets need a short path, and the mail user
    # must be able to enter the directory.
    base = Path(tempfile.mkdtemp(prefix="storedesk-dovecot-"))
    base.chmod(0o755)
    uid, gid, extra = _mail_owner()
    (base / "mail").mkdir()
    os.chown(base / "mail", uid, gid)
    tokeninfo = ThreadingHTTPServer(("127.0.0.1", 0), _TokenInfo)
    threading.Thread(target=tokeninfo.serve_forever, daemon=True).start()
    endpoint = f"http://127.0.0.1:{tokeninfo.server_port}/tokeninfo?access_token="
    (base / "oauth2.conf.ext").write_text(
        f"tokeninfo_url = {endpoint}\nintrospection_mode = get\n"
        f"introspection_url = {endpoint}\nusername_attribute = email\n"
    )
    (base / "passwd.d").mkdir()
    server = Dovecot(base, free_port(), free_port(), _certificates(base))
    config = base / "dovecot.conf"
    config.write_text(_config(base, server.imaps_port, server.imap_port, uid, gid, extra))
    process = subprocess.Popen(
        [DOVECOT, "-F", "-c", str(config)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        _wait_for_ports(process, (server.imaps_port, server.imap_port), server)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
        tokeninfo.shutdown()
        tokeninfo.server_close()
        shutil.rmtree(base, ignore_errors=True)


@dataclasses.dataclass
class Mailbox:
    """One user's mailbox on the test server, and how to fill it."""

    server: Dovecot
    username: str
    password: str

    def connect(self) -> imaplib.IMAP4_SSL:
        context = ssl.create_default_context(cadata=self.server.ca_pem)
        client = imaplib.IMAP4_SSL(
            "127.0.0.1", self.server.imaps_port, ssl_context=context, timeout=10
        )
        client.login(self.username, self.password)
        return client

    def append(self, *messages: bytes, folder: str = "INBOX") -> None:
        client = self.connect()
        try:
            for raw in messages:
                typ, data = client.append(folder, None, None, raw)
                assert typ == "OK", data
        finally:
            client.logout()

    def recreate(self, folder: str) -> None:
        """Delete ``folder`` (if present) and create it anew: a new UIDVALIDITY."""
        client = self.connect()
        try:
            client.delete(folder)
            typ, data = client.create(folder)
            assert typ == "OK", data
        finally:
            client.logout()

    def imap_config(self, **overrides) -> dict:
        """IMAP settings of an inbox polling this mailbox over IMAPS, trusting the CA."""
        return {
            "host": "127.0.0.1",
            "port": self.server.imaps_port,
            "security": "ssl",
            "username": self.username,
            "auth": "password",
            "password": self.password,
            "ca_cert": self.server.ca_pem,
            **overrides,
        }


@pytest.fixture
def mailbox(dovecot) -> Mailbox:
    """A fresh, empty mailbox (a new user) on the session's Dovecot."""
    return Mailbox(dovecot, *dovecot.add_user())
