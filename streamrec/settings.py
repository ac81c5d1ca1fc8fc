"""StreamRec settings. Every value that varies between machines is read from the
environment here, and only here.

Development (no environment): DEBUG on, SQLite, Celery tasks run in-process.
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

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set when DJANGO_DEBUG=0")
    SECRET_KEY = "django-insecure-development-only-key-streamrec"

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
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
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "60")),
    )
}
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

# Browser security headers, in every configuration (tests/test_security_headers.py walks every URL).
# Content-Security-Policy (django-csp): the site's own scripts and styles come from static files only:
# no inline <script>, no style attributes, no framing. The API docs pages (Swagger UI, Redoc) are the
# only exception: their bundles need inline scripts and styles (API_DOCS_CSP, streamrec/api_urls.py).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}
API_DOCS_CSP = {
    "script-src": ["'self'", "'unsafe-inline'"],
    "style-src": ["'self'", "'unsafe-inline'", "https://fonts.googleapis.com"],
    "font-src": ["'self'", "data:", "https://fonts.gstatic.com"],
    "worker-src": ["'self'", "blob:"],
    "img-src": ["'self'", "data:", "https://cdn.redoc.ly"],  # Redoc's own logo
}
SECURE_REFERRER_POLICY = "same-origin"
# Powerful browser features the site never uses, switched off for it and anything it embeds.
PERMISSIONS_POLICY = ("accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), microphone=(), "
                      "payment=(), usb=()")

# Production hardening: active whenever DEBUG is off.
if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = int(os.environ.get("DJANGO_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
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
# Recommender: where model artifacts live (shared by every process that serves the site).
MODEL_DIR = Path(os.environ.get("STREAMREC_MODEL_DIR", BASE_DIR / "var" / "models"))
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
}
