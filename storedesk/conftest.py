"""Fixtures shared by every app's tests."""

import pytest

from storedesk.accounts.enums import Role
from storedesk.core.testing import AgentFactory, StoreFactory, make_inbox


def pytest_collection_modifyitems(session, config, items):
    """Browser tests run last, whatever app they sit in: the session's Chromium keeps
    Playwright's event loop on the main thread from its first use on, where the websocket
    tests' ``async_to_sync`` would refuse to run."""
    items.sort(key=lambda item: "chromium" in getattr(item, "fixturenames", ()))


@pytest.fixture(scope="session", autouse=True)
def _compiled_translations():
    """The suite sees the translations as a running server does: compiled from the .po."""
    from storedesk.core.i18n import compile_project_translations

    compile_project_translations()


class _RememberingEmbedder:
    """The configured embedder, each text embedded once per test run: tests index the same
    articles and ask the same questions again and again (same vectors, less waiting)."""

    def __init__(self, inner):
        self.inner, self.name = inner, inner.name
        self._passages, self._queries = {}, {}

    def passages(self, texts):
        import numpy as np

        missing = [t for t in dict.fromkeys(texts) if t not in self._passages]
        if missing:
            self._passages.update(zip(missing, self.inner.passages(missing), strict=True))
        return np.stack([self._passages[t] for t in texts]) if texts else self.inner.passages([])

    def query(self, text):
        if text not in self._queries:
            self._queries[text] = self.inner.query(text)
        return self._queries[text]

    def queries(self, texts):
        import numpy as np

        missing = [t for t in dict.fromkeys(texts) if t not in self._queries]
        if missing:
            self._queries.update(zip(missing, self.inner.queries(missing), strict=True))
        return np.stack([self._queries[t] for t in texts]) if texts else self.inner.queries([])


@pytest.fixture(scope="session", autouse=True)
def _embeddings_remembered():
    from functools import cache

    from storedesk.search import embedders

    configured = embedders._configured

    @cache
    def remembering(spec, api_key, threads):
        inner = configured(spec, api_key, threads)
        return _RememberingEmbedder(inner) if inner is not None else None

    embedders._configured = remembering
    yield
    embedders._configured = configured


@pytest.fixture(scope="session")
def intent_model_home(tmp_path_factory):
    """The home the shared intent model is cached in (see ``intent_model``)."""
    return tmp_path_factory.mktemp("assistant-home")


@pytest.fixture(scope="session")
def intent_model(intent_model_home):
    """The assistant's default intent model, trained once per test run (about 15 s) into a
    temporary home and shared by every test that needs it."""
    from django.conf import settings

    from storedesk.assistant import understanding

    home = settings.HOME
    settings.HOME = intent_model_home
    understanding._model = None
    try:
        model = understanding.default_model()
    finally:
        settings.HOME = home
    return model


@pytest.fixture
def store(db):
    return StoreFactory(name="Fashion", slug="fashion")


@pytest.fixture
def other_store(db):
    return StoreFactory(name="Electronics", slug="electronics")


@pytest.fixture
def api_inbox(store):
    return make_inbox(store, "api", "API")


@pytest.fixture
def other_api_inbox(other_store):
    return make_inbox(other_store, "api", "Other API")


@pytest.fixture
def admin_agent(db):
    return AgentFactory(username="boss", role=Role.ADMIN, is_superuser=True, is_staff=True)


@pytest.fixture
def agent(db):
    return AgentFactory(username="ana", role=Role.AGENT)


@pytest.fixture
def restricted_agent(store):
    """An outsourced agent who may see only ``store``."""
    return AgentFactory(username="outsourced", role=Role.RESTRICTED, stores=[store])


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def chromium():
    """Debian's Chromium driven by Playwright. Missing browser: skip locally, fail in CI."""
    import os
    import shutil

    if not shutil.which(CHROMIUM):
        message = f"{CHROMIUM} is not installed (apt-get install chromium)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop on this thread; the test body still uses the
    # ORM synchronously, which is safe here because nothing else runs on that loop.
    # Playwright's loop stays on this thread for the whole session, so this permission must
    # too; tests that check async safety (websockets) therefore run before every browser
    # test (``pytest_collection_modifyitems`` puts those last).
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(chromium):
    context = chromium.new_context(locale="en-US")
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def asgi_live_server(transactional_db):
    """The real ASGI application (HTTP and websockets) served by uvicorn on a free loopback
    port in a background thread, against the test database. Yields its base URL."""
    import socket
    import threading
    import time

    import uvicorn

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = uvicorn.Config(
        "storedesk.config.asgi:application",
        host="127.0.0.1",
        port=port,
        lifespan="off",
        log_level="warning",
        ws="websockets-sansio",
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(autouse=True)
def _fresh_caches():
    """Each test starts with empty caches: rate-limit counters and search index versions
    must not leak from one test into the next (SQLite reuses the ids of rolled-back rows)."""
    from django.core.cache import cache

    from storedesk.search import semantic, vectors

    cache.clear()
    semantic.clear_cache()
    vectors.clear_cache()
    yield
