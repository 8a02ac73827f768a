"""blindrate settings, read from the environment with types.

Every variable is listed in `.env.example` and explained in the README's Production
section; a checkout's `.env.local` (written by `make install`) turns DEBUG on for
development. A variable that is missing where it is required, or cannot be parsed, stops the
start with one line naming it (see `config.environment`).
"""

from datetime import timedelta
from pathlib import Path

from csp.constants import NONCE, NONE, SELF

from config.environment import Environment
from config.local import local_env_file

BASE_DIR = Path(__file__).resolve().parent.parent
# The real environment wins, then `.env` (production's file, see .env.example), then the
# checkout's development settings that `make install` writes (`.env.local`, config.local).
env = Environment(env_files=(BASE_DIR / ".env", local_env_file()))

# Local state of the embedded default (SQLite file, broker folder, media, the printed login).
VAR_DIR = env.path("VAR_DIR", default=BASE_DIR / "var")

DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env.secret_key("SECRET_KEY", debug=DEBUG)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "studies",
    "ratings",
    "analysis",
    "api",
    "demo",
    "axes",
    "csp",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # English for every request until a rater page switches to its study's language.
    "config.middleware.RequestLanguageMiddleware",
    "config.middleware.UnstorableTextMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # A view that finds the database down answers 503 and Retry-After (config.unavailable).
    "config.unavailable.ServiceUnavailableMiddleware",
    # Last, as django-axes asks: it answers a locked-out login with its page.
    "axes.middleware.AxesMiddleware",
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

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
    "default": env.database_url(
        "DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'blindrate.sqlite3'}"
    ),
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
# The languages the rater pages speak (a study's `rater_language`; catalogues in locale/).
# The researcher's pages stay English: no LocaleMiddleware reads a browser's preference.
LANGUAGES = [("en", "English"), ("de", "Deutsch"), ("es", "Español"), ("fr", "Français")]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=VAR_DIR / "static")
# Sample media are never served as public files: raters get them only through a view that
# checks the assignment, researchers through one that checks ownership.
MEDIA_ROOT = env.path("MEDIA_ROOT", default=VAR_DIR / "media")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# Imports: how large one media file may be, and how many errors one report lists.
BLINDRATE_MEDIA_MAX_BYTES = env.int("MEDIA_MAX_BYTES", default=20 * 1024 * 1024, minimum=1)
BLINDRATE_IMPORT_MAX_ERRORS = env.int("IMPORT_MAX_ERRORS", default=50, minimum=1)
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024

# Celery: Redis when REDIS_URL is set, otherwise kombu's filesystem transport in var/,
# which needs no server. The AnalysisRun row is the result of a job; the result backend
# only answers `check_worker`.
REDIS_URL = env.url("REDIS_URL", default="", schemes=("redis", "rediss"))
CELERY_BROKER_DIR = env.path("CELERY_BROKER_DIR", default=VAR_DIR / "broker")
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_RESULT_BACKEND = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS: dict = {}  # the visibility timeout is set below
else:
    CELERY_BROKER_URL = "filesystem://"
    CELERY_RESULT_BACKEND = f"file://{CELERY_BROKER_DIR / 'results'}"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_BROKER_DIR / "queue"),
        "data_folder_out": str(CELERY_BROKER_DIR / "queue"),
        "control_folder": str(CELERY_BROKER_DIR / "control"),
        "store_processed": False,
    }
# Analysis jobs (see analysis/conf.py): time limits, heartbeat, when a silent run's
# worker is taken for dead, how often such a run is retried, and how long a queued run
# waits for a worker before its task is sent again (then failed).
BLINDRATE_ANALYSIS_SOFT_TIME_LIMIT = env.int("ANALYSIS_SOFT_TIME_LIMIT", default=900, minimum=1)
BLINDRATE_ANALYSIS_TIME_LIMIT = env.int("ANALYSIS_TIME_LIMIT", default=960, minimum=1)
BLINDRATE_ANALYSIS_HEARTBEAT_SECONDS = env.int("ANALYSIS_HEARTBEAT_SECONDS", default=10, minimum=1)
BLINDRATE_ANALYSIS_STALE_SECONDS = env.int("ANALYSIS_STALE_SECONDS", default=120, minimum=5)
BLINDRATE_ANALYSIS_MAX_ATTEMPTS = env.int("ANALYSIS_MAX_ATTEMPTS", default=2, minimum=1)
BLINDRATE_ANALYSIS_QUEUED_SECONDS = env.int("ANALYSIS_QUEUED_SECONDS", default=900, minimum=5)
if BLINDRATE_ANALYSIS_TIME_LIMIT <= BLINDRATE_ANALYSIS_SOFT_TIME_LIMIT:
    env.fail("ANALYSIS_TIME_LIMIT", "must be above ANALYSIS_SOFT_TIME_LIMIT")
CELERY_TASK_IGNORE_RESULT = True

# The cache holds API throttling counts: shared through Redis when there is one, so that
# every web process counts the same requests; per process otherwise.
CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
        if REDIS_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}
# Analysis jobs are long, rare and must survive a worker's death (analysis/tasks.py): a
# message is acknowledged when its job ends, given back when the worker process dies, and
# each worker process reserves one job at a time. On Redis an unacknowledged message comes
# back after the visibility timeout, which must outlast the longest job, or a job still
# running would be delivered a second time.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_ALWAYS_EAGER = False
if REDIS_URL:
    CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"] = BLINDRATE_ANALYSIS_TIME_LIMIT + 600
# A broker that restarts: the worker reconnects for as long as it takes, and a job running
# meanwhile goes on (its run row, not its message, says whether it finished). A web
# process trying to send a task gives up within a second or two (the run stays queued and
# is sent again by the reaper).
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = False
# Maintenance runs on a schedule (Celery beat: `make run`'s worker embeds it, compose runs
# a `beat` service), never inside a request: every MAINTENANCE_SECONDS, leases that ran out
# give their slots back and analysis runs of dead workers or lost messages are reaped. A
# tick that no worker takes within the interval expires rather than piling up.
BLINDRATE_MAINTENANCE_SECONDS = env.int("MAINTENANCE_SECONDS", default=10, minimum=1)
CELERY_BEAT_SCHEDULE = {
    name: {
        "task": task,
        "schedule": float(BLINDRATE_MAINTENANCE_SECONDS),
        "options": {"expires": float(BLINDRATE_MAINTENANCE_SECONDS)},
    }
    for name, task in (
        ("release expired leases", "ratings.leases_release"),
        ("reap analysis runs", "analysis.reap"),
    )
}
CELERY_BEAT_SCHEDULE_FILENAME = env.str(
    "CELERY_BEAT_SCHEDULE_FILENAME", default=str(VAR_DIR / "celerybeat-schedule")
)
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 2,
    "interval_start": 0,
    "interval_step": 0.5,
    "interval_max": 1,
}
CELERY_TIMEZONE = TIME_ZONE

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "api.schema.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "api.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    # Requests per client: anonymous ones by IP address, the others by token (or session
    # user). Rates are "N/second|minute|hour|day"; api.apps checks them at start.
    "DEFAULT_THROTTLE_CLASSES": [
        "api.throttles.AnonRateThrottle",
        "api.throttles.TokenRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env.str("API_THROTTLE_ANON", default="60/minute"),
        "token": env.str("API_THROTTLE_TOKEN", default="1200/minute"),
    },
    "EXCEPTION_HANDLER": "api.errors.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "blindrate API",
    "DESCRIPTION": "Blinded rating studies: create studies, upload samples, export ratings, "
    "run analyses. Authenticate with `Authorization: Token <key>`.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    # Read-only fields (status, token, ...) stay out of request bodies.
    "COMPONENT_SPLIT_REQUEST": True,
    # The docs page loads Swagger UI from local static files, never from a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "StudyStatusEnum": "studies.models.Study.Status",
        "AnalysisStatusEnum": "analysis.models.AnalysisRun.Status",
        "ClaimKindEnum": "studies.models.Claim.Kind",
        "SampleKindEnum": "studies.models.Sample.Kind",
        "StudyProtocolEnum": "studies.models.Study.Protocol",
    },
}

# Security: strict by default; `make run` turns DEBUG on for the local platform.
# Content-Security-Policy (django-csp) on every response: only this site's own files, and
# the pages' few inline <script>/<style> blocks carry the response's nonce
# (`{{ request.csp_nonce }}`); no inline event handler or style attribute ever runs.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, NONCE],
        "img-src": [SELF, "data:"],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Reverse proxies in front of the app, for the client's address of every limit that counts
# by address (config.client): 0 trusts no header a client could send itself.
NUM_PROXIES = env.int("NUM_PROXIES", default=0, minimum=0)

# Admin login: django-axes counts failed logins in the database and locks out an address,
# and a username, after ADMIN_LOGIN_FAILURE_LIMIT failures for ADMIN_LOGIN_LOCKOUT_MINUTES.
AXES_FAILURE_LIMIT = env.int("ADMIN_LOGIN_FAILURE_LIMIT", default=5, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("ADMIN_LOGIN_LOCKOUT_MINUTES", default=15, minimum=1))
AXES_LOCKOUT_PARAMETERS = ["ip_address", "username"]
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False  # no banner on every start of every command
AXES_CLIENT_IP_CALLABLE = "config.client.client_address"
AXES_LOCKOUT_TEMPLATE = "admin/locked_out.html"
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_REDIRECT_EXEMPT = [r"^healthz/(live/)?$"]
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
# A rater's form refused for want of its cookie: a page in the study's rater language.
CSRF_FAILURE_VIEW = "ratings.views.csrf_failure"
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 3600, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=False)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SILENCED_SYSTEM_CHECKS = env.list("SILENCED_SYSTEM_CHECKS", default=[])

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
}
