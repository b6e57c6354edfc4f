"""Configuration classes; every setting comes from the environment."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from urllib.parse import urlsplit

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = Path(os.environ.get("INSTANCE_PATH", BASE_DIR / "instance"))

WEAK_SECRET_KEYS = {"", "dev", "change-me", "secret"}


def _bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


def _list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def instance_secret_key(folder: Path) -> str:
    """The key kept in ``folder/secret_key`` (mode 600), made at the first start and reused:
    a key written in the code would let anyone who reads it forge a session cookie."""
    path = folder / "secret_key"
    if not path.exists():
        folder.mkdir(parents=True, exist_ok=True)
        draft = folder / f".secret_key.{os.getpid()}.{secrets.token_hex(4)}"
        with os.fdopen(os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as f:
            f.write(secrets.token_urlsafe(48) + "\n")
        try:
            os.link(draft, path)  # atomic: two first starts at once both keep the same key
        except FileExistsError:
            pass
        finally:
            draft.unlink()
    if path.stat().st_mode & 0o077:
        path.chmod(0o600)
    key = path.read_text().strip()
    if len(key) < 32:
        raise RuntimeError(f"{path} holds no usable secret key: delete it and start again")
    return key


def trust_public_host(app) -> None:
    """Links in e-mails come from PUBLIC_BASE_URL only; the app answers for its host plus
    TRUSTED_HOSTS, and any other Host header gets a 400 (Flask's TRUSTED_HOSTS)."""
    base = app.config.get("PUBLIC_BASE_URL")
    if not base:
        raise RuntimeError(
            "PUBLIC_BASE_URL must be set to the site's public address, e.g. "
            "https://souk.example.ma: links in e-mails are built from it, never from the request"
        )
    parts = urlsplit(base)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise RuntimeError(
            f"PUBLIC_BASE_URL must be an absolute http(s) address such as "
            f"https://souk.example.ma, not {base!r}"
        )
    hosts = [parts.hostname, *(app.config.get("TRUSTED_HOSTS") or ())]
    app.config["TRUSTED_HOSTS"] = list(dict.fromkeys(hosts))


class Config:
    SITE_NAME = os.environ.get("SITE_NAME", "Souk Drâa-Tafilalet")
    # No default: production requires one, development keeps a random one in instance/.
    SECRET_KEY = os.environ.get("SECRET_KEY")
    SQLALCHEMY_DATABASE_URI = os.environ.get(
        "DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'marketplace.sqlite3'}"
    )
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}
    SQLALCHEMY_RECORD_QUERIES = _bool("SQLALCHEMY_RECORD_QUERIES")

    LOCALES = ("ar", "fr", "en")
    DEFAULT_LOCALE = os.environ.get("DEFAULT_LOCALE", "fr")
    BABEL_DEFAULT_LOCALE = DEFAULT_LOCALE
    BABEL_DEFAULT_TIMEZONE = "Africa/Casablanca"
    BABEL_TRANSLATION_DIRECTORIES = str(BASE_DIR / "translations")

    # Uploads live outside static/ and are served only through views that check access.
    UPLOAD_DIR = os.environ.get("UPLOAD_DIR", str(INSTANCE_DIR / "uploads"))
    MEDIA_DIR = os.environ.get("MEDIA_DIR", str(INSTANCE_DIR / "media"))
    MAX_CONTENT_LENGTH = _int("MAX_CONTENT_LENGTH", 40 * 1024 * 1024)
    MAX_UPLOAD_BYTES = 5 * 1024 * 1024
    # Object storage (marketplace/object_storage.py): with S3_BUCKET set, images and documents
    # go to this S3-compatible bucket instead of MEDIA_DIR / UPLOAD_DIR, so that every node
    # sees them. S3_ENDPOINT_URL for a non-AWS service; S3_PUBLIC_BASE_URL is where pages link
    # images (a CDN, or by default <endpoint>/<bucket>); S3_PUBLIC_ACL="" when a bucket policy
    # or the CDN grants read access instead of per-object ACLs.
    S3_BUCKET = os.environ.get("S3_BUCKET")
    S3_ENDPOINT_URL = os.environ.get("S3_ENDPOINT_URL")
    S3_REGION = os.environ.get("S3_REGION")
    S3_ACCESS_KEY_ID = os.environ.get("S3_ACCESS_KEY_ID")
    S3_SECRET_ACCESS_KEY = os.environ.get("S3_SECRET_ACCESS_KEY")
    S3_PUBLIC_BASE_URL = os.environ.get("S3_PUBLIC_BASE_URL")
    S3_PUBLIC_ACL = os.environ.get("S3_PUBLIC_ACL", "public-read")
    S3_ADDRESSING_STYLE = os.environ.get("S3_ADDRESSING_STYLE", "path")
    S3_TIMEOUT_SECONDS = float(os.environ.get("S3_TIMEOUT_SECONDS", "5"))

    # Sessions and cookies
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    WTF_CSRF_TIME_LIMIT = None

    ARGON2_TIME_COST = 3
    ARGON2_MEMORY_COST = 65536
    ARGON2_PARALLELISM = 4

    REDIS_URL = os.environ.get("REDIS_URL")
    # Every Redis client (rate limits, caches, health check) gives up quickly: a Redis that
    # hangs must cost a request a fraction of a second, not make every page slow. No retries:
    # redis-py would otherwise try up to 10 times per command.
    REDIS_SOCKET_TIMEOUT = float(os.environ.get("REDIS_SOCKET_TIMEOUT", "0.5"))
    REDIS_OPTIONS: dict = {
        "socket_timeout": REDIS_SOCKET_TIMEOUT,
        "socket_connect_timeout": REDIS_SOCKET_TIMEOUT,
        "retry": None,
    }
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    RATELIMIT_STORAGE_OPTIONS = REDIS_OPTIONS
    # Redis down: count in this process's memory (limits still apply), go back to Redis when
    # it answers again (Flask-Limiter checks it now and then).
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    RATELIMIT_ENABLED = _bool("RATELIMIT_ENABLED", True)
    RATELIMIT_HEADERS_ENABLED = True
    # Whole-page cache of anonymous catalogue pages (marketplace/cache.py): on by default when
    # the cache is Redis; PAGE_CACHE=1/0 forces it. Entries live PAGE_CACHE_SECONDS at most.
    PAGE_CACHE = os.environ.get("PAGE_CACHE")
    PAGE_CACHE_SECONDS = _int("PAGE_CACHE_SECONDS", 30)
    # How often a worker re-reads the catalogue version (other workers see an edit that late).
    PAGE_CACHE_VERSION_SECONDS = float(os.environ.get("PAGE_CACHE_VERSION_SECONDS", "1"))

    MAIL_DEFAULT_SENDER = os.environ.get(
        "MAIL_DEFAULT_SENDER", "Souk Drâa-Tafilalet <no-reply@souk-draa-tafilalet.ma>"
    )
    MAIL_SERVER = os.environ.get("MAIL_SERVER", "localhost")
    MAIL_PORT = _int("MAIL_PORT", 25)
    MAIL_USE_TLS = _bool("MAIL_USE_TLS")
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME")
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD")
    # When set, e-mails are written there as .eml files instead of being sent.
    MAIL_OUTBOX_DIR: str | None = os.environ.get("MAIL_OUTBOX_DIR")
    # "queue": messages stored with the transaction that queues them and sent by the
    # `send-mail` job, retried when the mail server fails (marketplace/mail.py);
    # "after_commit": sent right after the commit, in the request. Production queues.
    MAIL_DELIVERY = os.environ.get("MAIL_DELIVERY", "after_commit")

    # SMS and WhatsApp (marketplace/notify/). Providers by name ("outbox", "twilio") or
    # "module:Class"; unset: Twilio when TWILIO_ACCOUNT_SID is set, else the outbox folder
    # (NOTIFY_OUTBOX_DIR, by default MAIL_OUTBOX_DIR) where messages are written as JSON.
    NOTIFY_SMS_PROVIDER = os.environ.get("NOTIFY_SMS_PROVIDER")
    NOTIFY_WHATSAPP_PROVIDER = os.environ.get("NOTIFY_WHATSAPP_PROVIDER")
    NOTIFY_OUTBOX_DIR = os.environ.get("NOTIFY_OUTBOX_DIR")
    # Non-urgent notices wait for the morning (Africa/Casablanca), "HH:MM-HH:MM"; "" for none.
    NOTIFY_QUIET_HOURS = os.environ.get("NOTIFY_QUIET_HOURS", "21:00-08:00")
    # Verification codes asked for from one address (on top of 5 an hour per account and
    # per number).
    NOTIFY_CODE_RATE_LIMIT = os.environ.get("NOTIFY_CODE_RATE_LIMIT", "10 per hour")
    TWILIO_ACCOUNT_SID = os.environ.get("TWILIO_ACCOUNT_SID")
    TWILIO_AUTH_TOKEN = os.environ.get("TWILIO_AUTH_TOKEN")
    TWILIO_SMS_FROM = os.environ.get("TWILIO_SMS_FROM")  # +212… number or alphanumeric sender
    TWILIO_MESSAGING_SERVICE_SID = os.environ.get("TWILIO_MESSAGING_SERVICE_SID")
    TWILIO_WHATSAPP_FROM = os.environ.get("TWILIO_WHATSAPP_FROM")  # whatsapp:+212…
    # Approved WhatsApp templates: JSON {"new_order": {"ar": "HX…", "fr": "HX…", "en": "HX…"}, …}
    TWILIO_WHATSAPP_TEMPLATES = os.environ.get("TWILIO_WHATSAPP_TEMPLATES", "{}")
    # Where the SDK sends its requests (a local fake in tests); unset: Twilio's own API.
    TWILIO_API_BASE_URL = os.environ.get("TWILIO_API_BASE_URL")

    # Background jobs (marketplace/jobs/): RQ on this Redis URL, run by `flask jobs worker`
    # processes and enqueued on schedule by `flask jobs scheduler`. Unset: every job runs
    # inline, in the process that asks for it (development, tests).
    JOBS_BROKER_URL = os.environ.get("JOBS_BROKER_URL")
    JOBS_QUEUE = os.environ.get("JOBS_QUEUE", "souk")
    # A worker lowers its CPU priority by this much (nice), so that on a machine it shares
    # with the web processes, background work (e-mails, notices, rollups) waits for idle CPU
    # instead of slowing shoppers' requests. 0 keeps the priority it was started with.
    JOB_WORKER_NICE = _int("JOB_WORKER_NICE", 10)

    STRIPE_SECRET_KEY = os.environ.get("STRIPE_SECRET_KEY")
    STRIPE_PUBLISHABLE_KEY = os.environ.get("STRIPE_PUBLISHABLE_KEY")
    STRIPE_WEBHOOK_SECRET = os.environ.get("STRIPE_WEBHOOK_SECRET")
    STRIPE_API_BASE = os.environ.get("STRIPE_API_BASE")  # tests point the SDK at a local fake
    # Stripe slow or down: the pay button answers within about 2 x STRIPE_TIMEOUT_SECONDS + 1.
    STRIPE_TIMEOUT_SECONDS = float(os.environ.get("STRIPE_TIMEOUT_SECONDS", "3"))
    STRIPE_MAX_NETWORK_RETRIES = _int("STRIPE_MAX_NETWORK_RETRIES", 1)
    # Webhook timestamps older or newer than this many seconds are refused.
    STRIPE_WEBHOOK_TOLERANCE = _int("STRIPE_WEBHOOK_TOLERANCE", 300)
    # How long a Checkout Session (and the stock it holds) stays open: 30 to 1440 minutes.
    STRIPE_CHECKOUT_MINUTES = _int("STRIPE_CHECKOUT_MINUTES", 60)
    # An unpaid card order releases its stock this long after it was placed
    # (``flask orders expire-unpaid``, run every few minutes).
    UNPAID_CARD_ORDER_MINUTES = _int("UNPAID_CARD_ORDER_MINUTES", 60)
    # A card sale becomes payable to its cooperative this many days after its delivery
    # (time for the shopper to report a problem); payout batches include only what is.
    PAYOUT_DELAY_DAYS = _int("PAYOUT_DELAY_DAYS", 7)
    # The most one order may cost (Stripe's limit for MAD: 999,999.99).
    MAX_ORDER_TOTAL_CENTS = _int("MAX_ORDER_TOTAL_CENTS", 99_999_999)

    PROXY_FIX_HOPS = _int("PROXY_FIX_HOPS", 0)
    PREFERRED_URL_SCHEME = os.environ.get("PREFERRED_URL_SCHEME", "http")
    # The only source of links in e-mails (required in production; see trust_public_host).
    PUBLIC_BASE_URL = os.environ.get("PUBLIC_BASE_URL")
    # Host names answered besides PUBLIC_BASE_URL's. Loopback by default, for health checks
    # and local tools; TRUSTED_HOSTS="" answers the public host only.
    TRUSTED_HOSTS = _list("TRUSTED_HOSTS", "localhost,127.0.0.1")

    # Failed logins per e-mail address (auth/services.py): after LOGIN_FREE_FAILURES in a
    # row each attempt waits LOGIN_DELAY_SECONDS, doubled per further failure up to
    # LOGIN_MAX_DELAY_SECONDS; a quiet LOGIN_FORGET_SECONDS forgets the failures.
    LOGIN_FREE_FAILURES = _int("LOGIN_FREE_FAILURES", 10)
    LOGIN_DELAY_SECONDS = _int("LOGIN_DELAY_SECONDS", 30)
    LOGIN_MAX_DELAY_SECONDS = _int("LOGIN_MAX_DELAY_SECONDS", 15 * 60)
    LOGIN_FORGET_SECONDS = _int("LOGIN_FORGET_SECONDS", 24 * 3600)

    PAGE_SIZE = _int("PAGE_SIZE", 24)
    # Labels: hide a product whose sanitary authorisation (ONSSA) expired until a renewed
    # one is verified (products that never had one are not affected).
    HIDE_FOOD_WITHOUT_SANITARY = _bool("HIDE_FOOD_WITHOUT_SANITARY")
    COD_MAX_TOTAL_CENTS = _int("COD_MAX_TOTAL_CENTS", 500_000)
    PLATFORM_COMMISSION_BP = _int("PLATFORM_COMMISSION_BP", 1000)  # basis points (10 %)

    # Bench/debug: count SQL queries per request (X-Query-Count header).
    QUERY_COUNT_HEADER = _bool("QUERY_COUNT_HEADER")

    @staticmethod
    def init_app(app) -> None:
        trust_public_host(app)


class DevelopmentConfig(Config):
    DEBUG = True
    MAIL_OUTBOX_DIR = os.environ.get("MAIL_OUTBOX_DIR", str(INSTANCE_DIR / "outbox"))
    PUBLIC_BASE_URL = os.environ.get("PUBLIC_BASE_URL", "http://127.0.0.1:5000")

    @staticmethod
    def init_app(app) -> None:
        if not app.config.get("SECRET_KEY"):
            app.config["SECRET_KEY"] = instance_secret_key(Path(app.instance_path))
        trust_public_host(app)


class TestingConfig(Config):
    TESTING = True
    SECRET_KEY = os.environ.get("SECRET_KEY") or secrets.token_urlsafe(48)  # per process
    PUBLIC_BASE_URL = os.environ.get("PUBLIC_BASE_URL", "http://localhost")
    # The test client's host and the browser tests' live server, whatever the environment says.
    TRUSTED_HOSTS = [*Config.TRUSTED_HOSTS, "localhost", "127.0.0.1"]
    # Cheap hashes keep the suite fast; production uses the argon2-cffi defaults.
    ARGON2_TIME_COST = 1
    ARGON2_MEMORY_COST = 1024
    ARGON2_PARALLELISM = 1
    RATELIMIT_ENABLED = False
    MAIL_OUTBOX_DIR = os.environ.get("MAIL_OUTBOX_DIR", str(INSTANCE_DIR / "outbox-test"))
    SERVER_NAME = None
    # Sales payable as soon as they are delivered, unless a test sets the delay (the tests
    # of payout eligibility use the production default, 7 days, and move the clock).
    PAYOUT_DELAY_DAYS = 0


class ProductionConfig(Config):
    MAIL_DELIVERY = os.environ.get("MAIL_DELIVERY", "queue")
    SESSION_COOKIE_SECURE = True
    SESSION_COOKIE_NAME = "__Host-session"
    REMEMBER_COOKIE_SECURE = True
    REMEMBER_COOKIE_NAME = "__Host-remember"
    PREFERRED_URL_SCHEME = os.environ.get("PREFERRED_URL_SCHEME", "https")
    RATELIMIT_STORAGE_URI = os.environ.get(
        "RATELIMIT_STORAGE_URI", os.environ.get("REDIS_URL", "memory://")
    )

    @staticmethod
    def init_app(app) -> None:
        key = app.config.get("SECRET_KEY") or ""
        if key in WEAK_SECRET_KEYS or len(key) < 32:
            raise RuntimeError(
                "SECRET_KEY must be set to a random value of at least 32 characters in production"
            )
        trust_public_host(app)


CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}


def config_for(name: str | None) -> type[Config]:
    return CONFIGS[name or os.environ.get("APP_ENV", "development")]
