"""An email in a real browser: inline images shown, remote images held back until asked
for, and HTML that slipped past the sanitiser still cannot run (sandbox and CSP)."""

import http.server
import threading

import pytest
from playwright.sync_api import expect

from storedesk.conversations.models import Message
from storedesk.core.testing import AgentFactory, StoreFactory, committed_events, make_inbox
from storedesk.inboxes.services import inbound_payload_store
from storedesk.web.tests.test_browser_workspace import sign_in
from storedesk.web.tests.test_email_views import _mail

pytestmark = pytest.mark.django_db(transaction=True)


class Tracker(http.server.ThreadingHTTPServer):
    """A "remote" server on another loopback port that records every path requested."""

    def __init__(self):
        self.hits: list[str] = []
        tracker = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802
                tracker.hits.append(self.path)
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args):
                pass

        super().__init__(("127.0.0.1", 0), Handler)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


@pytest.fixture
def tracker():
    server = Tracker()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def test_inline_images_show_remote_wait_and_nothing_runs(asgi_live_server, page, tracker):
    store = StoreFactory(name="Jadran Fashion", slug="jadran")
    inbox = make_inbox(store, "email", "Mail", config={"address": "support@fashion.example"})
    AgentFactory(username="ana", display_name="Ana Kovač")
    raw = _mail().replace(b"https://tracker.example/p.gif", f"{tracker.base}/remote.gif".encode())
    with committed_events():
        payload, _ = inbound_payload_store(inbox=inbox, raw=raw)
    payload.refresh_from_db()
    message = payload.message
    # What a sanitiser bug would let through: the frame must still not run any of it.
    hostile = (
        f'<script>fetch("{tracker.base}/script")</script>'
        f'<img src="x" onerror="fetch(\'{tracker.base}/onerror\')">'
        f"<svg onload=\"fetch('{tracker.base}/svg')\"></svg>"
    )
    Message.objects.filter(pk=message.pk).update(html=message.html + hostile)

    inline_responses = []
    page.on(
        "response",
        lambda r: inline_responses.append(r.status) if "/attachments/inline/" in r.url else None,
    )
    sign_in(page, asgi_live_server)
    page.goto(f"{asgi_live_server}/c/{message.conversation_id}/")
    frame = page.frame_locator("iframe.mail-body")
    expect(frame.locator("p")).to_contain_text("Paket je oštećen")
    expect(frame.locator("img[alt=paket]")).to_be_visible()
    page.wait_for_timeout(500)
    assert inline_responses == [200]
    assert frame.locator("img[alt=paket]").evaluate("image => image.naturalWidth") == 1
    assert tracker.hits == []

    page.click(".show-images")
    expect(frame.locator("img[alt=paket]")).to_be_visible()
    for _ in range(50):
        if tracker.hits:
            break
        page.wait_for_timeout(100)
    page.wait_for_timeout(300)
    # Only the image the agent asked for reached the remote server; no script ever ran.
    assert tracker.hits == ["/remote.gif"]
