"""Settings for the test suite: the production settings plus test-only switches.

The database comes from ``STOREDESK_DATABASE_URL`` exactly as in production, so the same
suite runs on SQLite and on PostgreSQL.
"""

from storedesk.config.settings import *  # noqa: F403
from storedesk.config.settings import HUEY

# Tasks run synchronously (still after commit) so tests see their effects.
HUEY = {**HUEY, "immediate": True}
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
WEBHOOK_ALLOW_PRIVATE_ADDRESSES = True
# Reading first messages (embedding + intent model) is asked for by the tests about it.
ANALYTICS_SIGNAL_SECONDS = 0

import tempfile  # noqa: E402
from pathlib import Path  # noqa: E402

MEDIA_ROOT = Path(tempfile.mkdtemp(prefix="storedesk-test-media-"))

# SQLite tests use a file database, like the product (WAL, IMMEDIATE transactions): an
# in-memory shared-cache database locks whole tables and cannot show real concurrency.
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    DATABASES["default"]["TEST"] = {  # noqa: F405
        "NAME": str(Path(tempfile.mkdtemp(prefix="storedesk-test-db-")) / "test.sqlite3")
    }
