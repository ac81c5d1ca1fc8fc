"""StreamRec settings. Every value that varies between machines is read from the
environment here, and only here.

Development (no environment): DEBUG on, SQLite, Celery tasks run in-process.
`make run`: DJANGO_DEBUG=0 with STREAMREC_LOCAL_HTTP=1 (production over plain http on 127.0.0.1).
Production: DJANGO_DEBUG=0 with DJANGO_SECRET_KEY, DJANGO_ALLOWED_HOSTS, DATABASE_URL
and CELERY_BROKER_URL.
"""
import os
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DJANGO_DEBUG", True)
# `make run`: production settings served over plain http on this machine (127.0.0.1 has no TLS), so
# only what needs https is relaxed: the SSL redirect, secure cookies and HSTS. Never set it in production.
LOCAL_HTTP = env_bool("STREAMREC_LOCAL_HTTP", False)


def secret_key() -> str:
    """DJANGO_SECRET_KEY, or the contents of the file DJANGO_SECRET_KEY_FILE names (`make run`
    generates one once under var/ and keeps it, so sessions survive a restart)."""
    key = os.environ.get("DJANGO_SECRET_KEY", "")
    key_file = os.environ.get("DJANGO_SECRET_KEY_FILE", "")
    if not key and key_file:
        try:
            key = Path(key_file).read_text().strip()
        except OSError as exc:
            raise ImproperlyConfigured(f"DJANGO_SECRET_KEY_FILE {key_file}: {exc.strerror}") from exc
    return key


SECRET_KEY = secret_key()
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("DJANGO_SECRET_KEY (or DJANGO_SECRET_KEY_FILE) must be set when DJANGO_DEBUG=0")
    SECRET_KEY = "django-insecure-development-only-key-streamrec"

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver" if DEBUG or LOCAL_HTTP else "")
LOCAL_HOSTS = {"127.0.0.1", "localhost", "testserver", "[::1]"}
if LOCAL_HTTP and not DEBUG and not set(ALLOWED_HOSTS) <= LOCAL_HOSTS:
    # Relaxed https settings on a public host name would send session cookies in clear text.
    raise ImproperlyConfigured("STREAMREC_LOCAL_HTTP=1 serves 127.0.0.1 only; unset it for DJANGO_ALLOWED_HOSTS "
                               + ",".join(sorted(set(ALLOWED_HOSTS) - LOCAL_HOSTS)))
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.postgres",  # trigram search on PostgreSQL (catalog/search.py); inert on SQLite
    "rest_framework",
    "rest_framework.authtoken",
    "django_celery_beat",
    "django_celery_results",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "csp",
    "streamrec",
    "catalog",
    "ratings",
    "recommender",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # First after SecurityMiddleware, so every response (413s, error pages, static files) gets them.
    "csp.middleware.CSPMiddleware",
    "streamrec.middleware.PermissionsPolicyMiddleware",
    "streamrec.middleware.RequestBodyLimitMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "streamrec.urls"
WSGI_APPLICATION = "streamrec.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
            # intcomma on every page: counts read 100,004 rather than 100004.
            "builtins": ["django.contrib.humanize.templatetags.humanize"],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "60")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The embedded default (`make run`): several gunicorn workers read while one writes (WAL), and a
    # commit (a rating, a cache entry) does not wait for the disk (synchronous=NORMAL is safe in WAL).
    DATABASES["default"].setdefault("OPTIONS", {})["init_command"] = "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# The one cache (streamrec/cache.py: every key and what invalidates it). Redis when
# STREAMREC_CACHE_URL names one (production: every web process and worker shares it); otherwise a
# table in the database (streamrec.models.CacheEntry, made by migrate), which every process of the
# embedded default (runserver, manage.py commands) shares too.
CACHE_URL = os.environ.get("STREAMREC_CACHE_URL", "")
if CACHE_URL:
    CACHES = {
        "default": {
            "BACKEND": "streamrec.cache.RedisCache",
            "LOCATION": CACHE_URL,
            "KEY_PREFIX": "streamrec",
            # A cache that does not answer at once is treated as a miss (streamrec.cache.SharedCache).
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "streamrec_cache",
            "OPTIONS": {"MAX_ENTRIES": 100_000},
        }
    }

# Argon2id first (memory-hard, and about a third of PBKDF2's CPU per sign-in: 172 ms against 478 ms
# on the 2-core bench machine, bench/README.md; it matters when many people sign in at once); PBKDF2
# hashes made before still verify and are re-hashed with Argon2 at the next sign-in.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

AUTHENTICATION_BACKENDS = ["streamrec.auth.ThrottledModelBackend"]
# Failed logins allowed per account per hour before its logins are refused (streamrec/auth.py).
LOGIN_FAILURES_PER_HOUR = int(os.environ.get("STREAMREC_LOGIN_FAILURES_PER_HOUR", "10"))

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(os.environ.get("DJANGO_STATIC_ROOT", BASE_DIR / "staticfiles"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# whitenoise compresses every collected file (gzip and brotli) ahead of time; the API docs' source
# maps (19 MB, fetched only by a browser's developer tools) are left as they are, which shortens
# collectstatic, a step of `make run`.
WHITENOISE_SKIP_COMPRESS_EXTENSIONS = ("jpg", "jpeg", "png", "gif", "webp", "zip", "gz", "tgz", "bz2", "tbz", "xz", "br",
                                       "woff", "woff2", "map")

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "streamrec.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 20,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "streamrec.api_errors.exception_handler",
    # DRF's throttles per scope (streamrec/throttles.py), counting in the shared cache; 429 with
    # Retry-After. Sign-in and sign-up are stricter (also on the login and sign-up pages).
    "DEFAULT_THROTTLE_CLASSES": [
        "streamrec.throttles.AnonThrottle",
        "streamrec.throttles.UserThrottle",
        "streamrec.throttles.ScopedThrottle",
    ],
    # Reverse proxies in front of the site that append the client's address to X-Forwarded-For
    # (0: gunicorn faces clients and REMOTE_ADDR is the client). Never None: DRF would then trust a
    # client-supplied X-Forwarded-For and every made-up address would get a fresh throttle budget.
    "NUM_PROXIES": int(os.environ.get("STREAMREC_NUM_PROXIES", "0")),
    "DEFAULT_THROTTLE_RATES": {
        "anon": os.environ.get("STREAMREC_THROTTLE_ANON", "120/min"),
        "user": os.environ.get("STREAMREC_THROTTLE_USER", "600/min"),
        "auth": os.environ.get("STREAMREC_THROTTLE_AUTH", "10/min"),
        "sync": os.environ.get("STREAMREC_THROTTLE_SYNC", "30/min"),
        # Pages that make the site send mail: password-reset requests (per IP), address changes and
        # confirmation re-sends (per account).
        "email": os.environ.get("STREAMREC_THROTTLE_EMAIL", "10/hour"),
        # Password-reset mails to one address, whoever asks for them (streamrec.tasks).
        "reset_mail": os.environ.get("STREAMREC_THROTTLE_RESET_MAIL", "3/hour"),
    },
}

SPECTACULAR_SETTINGS = {
    "TITLE": "StreamRec API",
    "DESCRIPTION": "Movies and series: catalog, personal ratings, watchlist and recommendations for mobile clients.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {"TitleKindEnum": "catalog.models.Title.Kind"},
    "POSTPROCESSING_HOOKS": ["drf_spectacular.hooks.postprocess_schema_enums", "streamrec.api_errors.error_schema_hook"],
}

# Browser security headers, in every configuration: fixed policies, in streamrec/security_headers.py.
from .security_headers import API_DOCS_CSP, CONTENT_SECURITY_POLICY, PERMISSIONS_POLICY  # noqa: E402, F401

SECURE_REFERRER_POLICY = "same-origin"

# Production hardening: active whenever DEBUG is off.
if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", not LOCAL_HTTP)
    SESSION_COOKIE_SECURE = not LOCAL_HTTP
    CSRF_COOKIE_SECURE = not LOCAL_HTTP
    SECURE_HSTS_SECONDS = 0 if LOCAL_HTTP else int(os.environ.get("DJANGO_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = not LOCAL_HTTP
    SECURE_HSTS_PRELOAD = not LOCAL_HTTP
    SECURE_CONTENT_TYPE_NOSNIFF = True

# Celery: without a broker, tasks run in-process (eagerly) so the site works with no services.
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "")
CELERY_RESULT_BACKEND = "django-db"  # task results visible in admin (django-celery-results)
CELERY_RESULT_EXTENDED = True
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_DEFAULT_QUEUE = os.environ.get("CELERY_QUEUE", "streamrec")
CELERY_TASK_ACKS_LATE = True
# Publishing from a web request gives up fast when the broker is down; streamrec.outbox keeps the task.
CELERY_BROKER_TRANSPORT_OPTIONS = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.5,
                                   "socket_connect_timeout": 2, "socket_timeout": 5}
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_BEAT_SCHEDULE = {
    "retrain-nightly": {
        "task": "recommender.tasks.retrain",
        "schedule": crontab(hour=3, minute=30),
    },
    # Tasks kept in the database while the broker was down are sent once it is back.
    "flush-outbox": {
        "task": "streamrec.tasks.flush_outbox",
        "schedule": 60.0,
    },
    # Viewings stopped early and not resumed within a week become negative feedback (ratings.watching).
    "mark-abandoned-viewings": {
        "task": "ratings.tasks.mark_abandoned_viewings",
        "schedule": crontab(hour=4, minute=15),
    },
}

# Email (Django's email framework, settings named as Django's). Mail is sent only by Celery tasks
# (streamrec.tasks, recommender.tasks), retried on SMTP failure. Without EMAIL_HOST (the embedded
# default) mail is written to the console of the process that sends it.
EMAIL_HOST = os.environ.get("EMAIL_HOST", "")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
# First wait before a mail task tries a failed SMTP send again; it doubles with each attempt.
EMAIL_RETRY_SECONDS = int(os.environ.get("STREAMREC_EMAIL_RETRY_SECONDS", "30"))
EMAIL_TIMEOUT = 20  # seconds: a hung SMTP server fails the attempt (retried) instead of blocking a worker
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "StreamRec <no-reply@localhost>")
EMAIL_BACKEND = ("django.core.mail.backends.smtp.EmailBackend" if EMAIL_HOST
                 else "django.core.mail.backends.console.EmailBackend")
# The site's address as links in mail show it (mail is made in workers, outside any request).
SITE_URL = os.environ.get("STREAMREC_SITE_URL", "http://127.0.0.1:8000").rstrip("/")
# Password-reset links are good for a day (and once: Django's token changes with the password).
PASSWORD_RESET_TIMEOUT = 24 * 3600
CELERY_BEAT_SCHEDULE["weekly-digest"] = {
    "task": "recommender.tasks.send_weekly_digest",
    "schedule": crontab(day_of_week="mon", hour=8, minute=0),  # editable in admin (django-celery-beat)
}

# --- Content pipeline (catalog/pipeline, owned by the import work) ---------------------------------------
# Inbox watched by the beat task catalog.tasks.scan_inbox: <inbox>/<streaming|tmdb|movielens>/<files>.
# The largest catalog file staff may upload in admin, and the largest request body of any kind
# (the upload plus its form fields); a larger body is refused from its Content-Length.
CATALOG_UPLOAD_MAX_BYTES = int(os.environ.get("STREAMREC_UPLOAD_MAX_BYTES", str(200 * 1024 * 1024)))
REQUEST_BODY_MAX_BYTES = CATALOG_UPLOAD_MAX_BYTES + 1024 * 1024
CATALOG_INBOX_DIR = Path(os.environ.get("STREAMREC_INBOX_DIR", BASE_DIR / "var" / "inbox"))
# A retrain is requested once imports not yet followed by one brought this many new titles or ratings.
CATALOG_RETRAIN_MIN_NEW_TITLES = int(os.environ.get("STREAMREC_RETRAIN_MIN_NEW_TITLES", "50"))
CATALOG_RETRAIN_MIN_NEW_RATINGS = int(os.environ.get("STREAMREC_RETRAIN_MIN_NEW_RATINGS", "10000"))
CELERY_BEAT_SCHEDULE["import-inbox"] = {
    "task": "catalog.tasks.scan_inbox",
    "schedule": crontab(minute="*/5"),  # editable in admin (django-celery-beat)
}
# --- end of content pipeline settings ---------------------------------------------------------------------

# The catalog's pages and API get predicted stars and similar titles from this module (the
# interface is in catalog/personalization.py; the catalog does not import the recommender).
CATALOG_PERSONALIZATION = "recommender.predictions"
# A person's data export (ratings/personal_data.py) gathers the other apps' parts from these modules.
PERSONAL_DATA_PARTS = ["streamrec.personal_data", "catalog.personal_data", "recommender.personal_data"]
# Called by each web worker before its first request (streamrec/gunicorn_conf.py): loads the serving
# model and its compiled kernels and fills the shared lists of the first pages.
PROCESS_WARM_UP = "recommender.pages.warm_up_process"
# Recommender: model artifacts go through Django's storage API (STORAGES["models"]), so every web
# machine and worker reads the same files: a local folder (the default; shared by the processes of
# one machine, or by several over a network file system) or an S3 bucket (django-storages).
MODEL_DIR = Path(os.environ.get("STREAMREC_MODEL_DIR", BASE_DIR / "var" / "models"))
MODEL_STORAGE = os.environ.get("STREAMREC_MODEL_STORAGE", "filesystem")
if MODEL_STORAGE == "filesystem":
    STORAGES["models"] = {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": MODEL_DIR}}
elif MODEL_STORAGE == "s3":
    if not os.environ.get("STREAMREC_MODEL_BUCKET"):
        raise ImproperlyConfigured("STREAMREC_MODEL_STORAGE=s3 needs STREAMREC_MODEL_BUCKET")
    # Credentials come from boto3's usual chain (the standard AWS environment variables, an
    # instance or pod role). A name is never overwritten: a second file of the same name gets a
    # suffix, and the version records the name it was stored under.
    STORAGES["models"] = {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": {
        "bucket_name": os.environ["STREAMREC_MODEL_BUCKET"],
        "location": os.environ.get("STREAMREC_MODEL_PREFIX", "models"),
        "endpoint_url": os.environ.get("STREAMREC_S3_ENDPOINT_URL") or None,
        "region_name": os.environ.get("STREAMREC_S3_REGION") or None,
        "file_overwrite": False,
    }}
else:
    raise ImproperlyConfigured(f"STREAMREC_MODEL_STORAGE must be filesystem or s3, not {MODEL_STORAGE!r}")
# Approximate top-N (recommender/ann.py): training builds a faiss index with the artifact when the
# model has at least this many titles; below it every request scans the catalog exactly.
ANN_MIN_TITLES = int(os.environ.get("STREAMREC_ANN_MIN_TITLES", "100000"))
# Index cells a query probes: more finds more of the exact top-N and costs time (bench/bench_ann.py).
ANN_NPROBE = int(os.environ.get("STREAMREC_ANN_NPROBE", "32"))
# Nightly backups (recommender.tasks.backup, manage.py backup): the folder and how many are kept. A
# deleted account's data stays in the backups taken before its deletion until they are rotated out.
BACKUP_DIR = Path(os.environ.get("STREAMREC_BACKUP_DIR", BASE_DIR / "var" / "backups"))
BACKUP_KEEP = int(os.environ.get("STREAMREC_BACKUP_KEEP", "7"))
CELERY_BEAT_SCHEDULE["backup-nightly"] = {
    "task": "recommender.tasks.backup",
    "schedule": crontab(hour=2, minute=30),  # before the 03:30 retrain
}
# Real datasets for benchmarks; never copied into the repository.
DATASETS_DIR = Path(os.environ.get("STREAMREC_DATASETS_DIR", BASE_DIR.parent / "shared" / "datasets"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("DJANGO_LOG_LEVEL", "INFO")},
    # faiss tells at INFO which of its builds it tried to load, in every process that imports it.
    "loggers": {"faiss.loader": {"level": "WARNING"}},
}
