"""Leadflow settings, read from environment variables (see README "Configuration").

Every value has a safe default for local use: SQLite, a file-system Celery broker and a local
Salesforce sandbox. Production sets DEBUG=false, a real SECRET_KEY, DATABASE_URL and CELERY_BROKER_URL.
"""

from datetime import timedelta
from pathlib import Path

import environ
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
if (BASE_DIR / ".env").is_file():
    environ.Env.read_env(BASE_DIR / ".env")

# Runtime files of the embedded default (SQLite database, broker folders, sandbox data).
# Created when the project starts (leadflow.core.apps), never when settings are read.
DATA_DIR = Path(env.str("LEADFLOW_DATA_DIR", default=str(BASE_DIR / "var")))

INSECURE_DEV_SECRET_KEY = "django-insecure-leadflow-local-development-only"  # noqa: S105 (the refused default)
DEBUG = env.bool("DEBUG", default=True)
SECRET_KEY = env.str("SECRET_KEY", default=INSECURE_DEV_SECRET_KEY)
if not DEBUG and SECRET_KEY == INSECURE_DEV_SECRET_KEY:
    raise ImproperlyConfigured("SECRET_KEY must be set to a secret value when DEBUG is off.")

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
# Public base URL of this deployment, used in embed snippets and links sent to other systems.
LEADFLOW_BASE_URL = env.str("LEADFLOW_BASE_URL", default="http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "axes",
    "health_check",
    "corsheaders",
    "csp",
    "django_htmx",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "leadflow.core",
    "leadflow.leads",
    "leadflow.quality",
    "leadflow.qualification",
    "leadflow.crm",
    "leadflow.intake",
    "leadflow.sync",
    "leadflow.review",
    # One package per outside system (see docs/sync.md, "Adding a target").
    "leadflow.integrations.salesforce",
    "leadflow.integrations.webhook",
    "leadflow.integrations.exact",
    "leadflow.integrations.woocommerce",
    "leadflow.integrations.pipedrive",
    "leadflow.integrations.snelstart",
    "leadflow.integrations.businesscentral",
]
# Local stand-ins for outside systems and the dev tools (`manage.py salesforce_sandbox`, `exact_standin`,
# `seed_demo`, `take_screenshots`) live beside the product in standins/; the Docker image has neither the package
# nor this switch on.
LEADFLOW_DEV_TOOLS = env.bool("LEADFLOW_DEV_TOOLS", default=True)
if LEADFLOW_DEV_TOOLS:
    INSTALLED_APPS += ["standins.salesforce", "standins.exact", "standins.pipedrive", "standins.devtools"]

MIDDLEWARE = [
    "leadflow.core.middleware.shed_load",  # first: refuses before any database work, never after a commit
    "leadflow.core.proxies.TrustedProxyMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "axes.middleware.AxesMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "leadflow.urls"
WSGI_APPLICATION = "leadflow.wsgi.application"

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
                "leadflow.review.context_processors.workspace",
            ],
        },
    },
]

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{DATA_DIR / 'leadflow.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Web and worker processes share the file: WAL lets readers run beside one writer, and
    # IMMEDIATE transactions take the write lock up front instead of failing half-way.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    # A file, not memory, so that a Celery worker started by a test can open the same test database.
    DATABASES["default"]["TEST"] = {"NAME": str(DATA_DIR / "test-leadflow.sqlite3")}
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://leadflow")}
if CACHES["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache":
    CACHES["default"]["BACKEND"] = "leadflow.core.cache.RedisCache"  # Django's, reusing its client objects
    # A cache that does not answer must not hold a request: short socket timeouts (override in CACHE_URL's query).
    CACHES["default"].setdefault("OPTIONS", {})
    CACHES["default"]["OPTIONS"].setdefault("socket_connect_timeout", 0.25)
    CACHES["default"]["OPTIONS"].setdefault("socket_timeout", 0.25)
# After a failed cache call, requests skip the cache (rate limits open, forms from the database) this long.
LEADFLOW_CACHE_RETRY_SECONDS = env.float("LEADFLOW_CACHE_RETRY_SECONDS", default=5.0)
# Salesforce's access token, describe results and API budget, shared by every process (web and workers) so a fresh
# worker spends no API calls on them: SALESFORCE_CACHE_URL, else CACHE_URL when that is shared (Redis), else a
# database table (created by migration salesforce.0003).
SALESFORCE_CACHE_TABLE = "leadflow_salesforce_cache"
if env.str("SALESFORCE_CACHE_URL", default=""):
    CACHES["salesforce"] = env.cache("SALESFORCE_CACHE_URL")
elif CACHES["default"]["BACKEND"] != "django.core.cache.backends.locmem.LocMemCache":
    CACHES["salesforce"] = CACHES["default"]
else:
    CACHES["salesforce"] = {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": SALESFORCE_CACHE_TABLE,
    }

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("nl", "Nederlands"), ("de", "Deutsch")]
TIME_ZONE = env.str("TIME_ZONE", default="Europe/Amsterdam")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

_email = env.email_url("EMAIL_URL", default="consolemail://")
EMAIL_BACKEND = _email["EMAIL_BACKEND"]
EMAIL_HOST = _email["EMAIL_HOST"] or "localhost"
EMAIL_PORT = _email["EMAIL_PORT"] or 25
EMAIL_HOST_USER = _email["EMAIL_HOST_USER"] or ""
EMAIL_HOST_PASSWORD = _email["EMAIL_HOST_PASSWORD"] or ""
EMAIL_USE_TLS = _email.get("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = _email.get("EMAIL_USE_SSL", False)
EMAIL_FILE_PATH = _email["EMAIL_FILE_PATH"]
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="leadflow@localhost")

# --- Reverse proxies ------------------------------------------------------------------------------
# Addresses or networks (comma-separated, e.g. "172.28.0.10" or "10.0.0.0/8") of the reverse proxies in front of
# this app. Only requests from them may set X-Forwarded-For/-Proto (leadflow.core.proxies); from anyone else
# those headers are dropped. Empty (the default): the app is reached directly and trusts no forwarded header.
LEADFLOW_TRUSTED_PROXIES = env.list("LEADFLOW_TRUSTED_PROXIES", default=[])
if LEADFLOW_TRUSTED_PROXIES:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# --- Health (/health/, leadflow.core.health) ---------------------------------------------------------
# The beat check fails when the heartbeat task (every 30 s) has not run for this long.
LEADFLOW_BEAT_STALE_SECONDS = env.int("LEADFLOW_BEAT_STALE_SECONDS", default=180)
# A load balancer probes over plain http, by address: never redirect the probe to https.
SECURE_REDIRECT_EXEMPT = [r"^health/(web/)?$"]

# --- Login throttling (django-axes) ---------------------------------------------------------------
# After this many failed logins, the account and, separately, the address are locked out for the cool-off time,
# on /login/ and /admin/login/ alike. Unlock early: `manage.py axes_reset_username NAME`, `axes_reset_ip IP`, or
# delete the access attempts in the admin.
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=10)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("LOGIN_LOCKOUT_MINUTES", default=30))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "leadflow.core.proxies.client_ip"
AXES_VERBOSE = False

# Production hardening; each can be switched off by its variable (e.g. behind a TLS-terminating proxy).
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=not DEBUG)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# --- Content-Security-Policy (django-csp), on every response ---------------------------------------
# Everything comes from this server: no inline scripts, handlers or style attributes, no eval (htmx is configured
# without it in base.html). Hosted form pages replace frame-ancestors with their form's allowed origins.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "frame-ancestors": [NONE],
    }
}

# --- Logging: one time zone (UTC) in every line; no per-task INFO lines; no tracebacks for 4xx answers. ---
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {
            "()": "leadflow.core.logging.UTCFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s %(message)s",
        }
    },
    "filters": {"client_errors_without_traceback": {"()": "leadflow.core.logging.ClientErrorsWithoutTraceback"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["client_errors_without_traceback"],
        }
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # runserver's request lines, through the same UTC formatter instead of Django's local-time one.
        "django.server": {"handlers": ["console"], "level": "INFO", "propagate": False},
        # "Task ... received/succeeded" for every task drowns everything else; failures are still WARNING+.
        "celery.app.trace": {"level": env.str("LOG_LEVEL_TASKS", default="WARNING")},
        "celery.worker.strategy": {"level": env.str("LOG_LEVEL_TASKS", default="WARNING")},
    },
}
# Celery keeps the logging configured above instead of installing its own (local-time) handlers.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False

# --- Celery -------------------------------------------------------------------------------------
# The embedded default is leadflow.core.broker's file-system transport (`atomicfs://`): no broker server, shared by
# every process on this machine through DATA_DIR, and safe under concurrent publish/consume (kombu's own
# `filesystem://` is not: celery/kombu#1551). Production uses Redis or RabbitMQ.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="atomicfs://localhost//")
if CELERY_BROKER_URL.startswith("atomicfs://"):
    _broker_dir = DATA_DIR / "celery-broker"  # the transport creates its folders
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processing_folder": str(_broker_dir / "processing"),
        "control_folder": str(_broker_dir / "control"),
        # The transport polls its folder; the default second between polls would cap a worker at ~1 message/s.
        "polling_interval": 0.05,
    }
else:
    # Must exceed the longest countdown a task is given, or Redis redelivers it early. The socket timeouts keep a
    # broker that accepts connections but never answers from holding a publisher forever.
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": 4 * 3600,
        "socket_timeout": 10,
        "socket_connect_timeout": 5,
    }
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE_FILENAME = str(DATA_DIR / "celerybeat-schedule")
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Sweeps have their own queue, which every worker also consumes: a sweep never waits behind the backlog it repairs.
CELERY_TASK_DEFAULT_QUEUE = "celery"
CELERY_TASK_QUEUES = {"celery": {}, "sweeps": {}}
CELERY_TASK_ROUTES = {"leadflow.leads.tasks.sweep_stuck_leads": {"queue": "sweeps"}}

# --- Lead pipeline ------------------------------------------------------------------------------
# A lead whose checks are still due this long after being requested is re-enqueued by the sweeper.
LEADFLOW_STUCK_AFTER_SECONDS = env.int("LEADFLOW_STUCK_AFTER_SECONDS", default=120)
# ... unless a wake-up was sent for those checks: then only once that wake-up is this old (lost on the broker).
LEADFLOW_WAKE_UP_OVERDUE_SECONDS = env.int("LEADFLOW_WAKE_UP_OVERDUE_SECONDS", default=1800)
# Owners are told this many minutes before a lead's first-response target passes.
LEADFLOW_RESPONSE_WARNING_MINUTES = env.int("LEADFLOW_RESPONSE_WARNING_MINUTES", default=60)
# Email deliverability (DNS MX look-ups) reaches the network: off unless asked for.
LEADFLOW_EMAIL_CHECK_DELIVERABILITY = env.bool("LEADFLOW_EMAIL_CHECK_DELIVERABILITY", default=False)
# Region for phone numbers typed without a country code when the lead's country is unknown.
LEADFLOW_DEFAULT_PHONE_REGION = env.str("LEADFLOW_DEFAULT_PHONE_REGION", default="NL")

# --- qualification ------------------------------------------------------------------------------
# Links on the conversion-criteria admin page to where the other conversion settings are edited:
# (label, "app_label") for an app's admin index or (label, "app_label.ModelName") for one model's list.
LEADFLOW_CRITERIA_RELATED_ADMIN = [
    ("Opportunity defaults and Salesforce field mapping", "salesforce"),
    ("Duplicate thresholds", "quality.MatchSettings"),
]

# --- intake -------------------------------------------------------------------------------------
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(DATA_DIR / "media")))  # uploaded import files
MEDIA_URL = "media/"
REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "leadflow.core.api.api_exception_handler",
    "UNAUTHENTICATED_USER": None,
    # JSON only, whatever the Accept header asks for: an HTML rendering of an API answer is not offered.
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "leadflow.core.api.FirstRendererWhenNothingMatches",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Leadflow API",
    "DESCRIPTION": "Create and follow leads. Errors are JSON: {error: {code, message, fields?, detail?}}.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # Swagger UI from this server (drf-spectacular-sidecar), never from a CDN: /api/docs/ works offline.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}
# CORS only for the form endpoints, and only for each form's own allowed origins (a signal handler decides).
CORS_URLS_REGEX = r"^/intake/forms/[^/]+/(definition\.json|submit)$"
# A request that waited longer than this in front of the app (X-Request-Start from the proxy) gets a fast 503.
LEADFLOW_REQUEST_MAX_AGE_SECONDS = env.float("LEADFLOW_REQUEST_MAX_AGE_SECONDS", default=5.0)
# Largest request body an intake door accepts (forms and API); bigger ones get 413.
LEADFLOW_INTAKE_MAX_BODY_BYTES = env.int("LEADFLOW_INTAKE_MAX_BODY_BYTES", default=64 * 1024)
# Rate limits ("count/period", period s/m/h/d; leadflow.core.ratelimit) are counted in the default cache (CACHE_URL;
# Redis in production, so that all workers share the counts). With the cache unreachable they let requests through.
LEADFLOW_FORM_RATE_LIMIT_PER_IP = env.str("LEADFLOW_FORM_RATE_LIMIT_PER_IP", default="20/m")
LEADFLOW_FORM_RATE_LIMIT_PER_FORM = env.str("LEADFLOW_FORM_RATE_LIMIT_PER_FORM", default="6000/m")
LEADFLOW_API_RATE_LIMIT = env.str("LEADFLOW_API_RATE_LIMIT", default="600/m")
# How long an Idempotency-Key and its stored response are kept.
LEADFLOW_IDEMPOTENCY_HOURS = env.int("LEADFLOW_IDEMPOTENCY_HOURS", default=24)
# Suspected spam is kept this many days for review, then purged.
LEADFLOW_SPAM_RETENTION_DAYS = env.int("LEADFLOW_SPAM_RETENTION_DAYS", default=30)
# Seconds a form's definition is cached between reads (saving it in the admin clears it at once).
LEADFLOW_FORM_CACHE_SECONDS = env.int("LEADFLOW_FORM_CACHE_SECONDS", default=60)

# --- crm ----------------------------------------------------------------------------------------
# Salesforce org reached through simple-salesforce. The defaults point at the local sandbox
# (`manage.py salesforce_sandbox`); see docs/salesforce.md for a real org.
_SANDBOX_URL = f"http://127.0.0.1:{env.int('SALESFORCE_SANDBOX_PORT', default=8765)}"  # Procfile.dev's sandbox
SALESFORCE_INSTANCE_URL = env.str("SALESFORCE_INSTANCE_URL", default=_SANDBOX_URL).rstrip("/")
SALESFORCE_API_VERSION = env.str("SALESFORCE_API_VERSION", default="61.0")
SALESFORCE_AUTH_FLOW = env.str("SALESFORCE_AUTH_FLOW", default="client_credentials")  # or jwt_bearer
SALESFORCE_CLIENT_ID = env.str("SALESFORCE_CLIENT_ID", default="leadflow-sandbox")
SALESFORCE_CLIENT_SECRET = env.str("SALESFORCE_CLIENT_SECRET", default="leadflow-sandbox-secret")
SALESFORCE_USERNAME = env.str("SALESFORCE_USERNAME", default="")  # the run-as user of the JWT bearer flow
SALESFORCE_PRIVATE_KEY = env.str("SALESFORCE_PRIVATE_KEY", default="", multiline=True)
SALESFORCE_PRIVATE_KEY_FILE = env.str("SALESFORCE_PRIVATE_KEY_FILE", default="")
SALESFORCE_JWT_AUDIENCE = env.str("SALESFORCE_JWT_AUDIENCE", default="https://login.salesforce.com")
SALESFORCE_TOKEN_URL = env.str("SALESFORCE_TOKEN_URL", default=f"{SALESFORCE_INSTANCE_URL}/services/oauth2/token")
SALESFORCE_TIMEOUT = env.float("SALESFORCE_TIMEOUT", default=20.0)
SALESFORCE_EXTERNAL_ID_FIELD = env.str("SALESFORCE_EXTERNAL_ID_FIELD", default="Leadflow_Id__c")
# Calls left in the org's rolling 24-hour quota that conversions never touch (kept for people and other tools).
SALESFORCE_API_RESERVE = env.int("SALESFORCE_API_RESERVE", default=100)
# Which CRM (a name in LEADFLOW_CRM_TARGETS, see "Plug-in wiring") a lead source converts into:
# LEADFLOW_CRM_BY_SOURCE maps shell-style source patterns to a CRM name, first match wins
# (env: "woocommerce:*=pipedrive,form:*=salesforce"); other sources take LEADFLOW_CRM_DEFAULT.
LEADFLOW_CRM_DEFAULT = env.str("LEADFLOW_CRM_DEFAULT", default="salesforce")
LEADFLOW_CRM_BY_SOURCE = env.dict("LEADFLOW_CRM_BY_SOURCE", default={})
# Transient failures are retried this many times, with exponential backoff, before the conversion fails.
LEADFLOW_CONVERSION_MAX_ATTEMPTS = env.int("LEADFLOW_CONVERSION_MAX_ATTEMPTS", default=8)
# A conversion claimed by a worker but not finished after this long is re-enqueued (the retry upserts).
LEADFLOW_CONVERSION_STUCK_AFTER_SECONDS = env.int("LEADFLOW_CONVERSION_STUCK_AFTER_SECONDS", default=300)
# Won deals: converted customers' Opportunities are checked for Closed Won this often, for this many days after
# the conversion; amounts are in the org's corporate currency.
SALESFORCE_WON_DEALS_POLL_SECONDS = env.float("SALESFORCE_WON_DEALS_POLL_SECONDS", default=30.0)
SALESFORCE_WON_DEALS_WINDOW_DAYS = env.int("SALESFORCE_WON_DEALS_WINDOW_DAYS", default=365)
SALESFORCE_CURRENCY = env.str("SALESFORCE_CURRENCY", default="EUR")

# --- Pipedrive (leadflow.integrations.pipedrive, docs/pipedrive.md) ------------------------------------------
# The defaults talk to the local stand-in (manage.py pipedrive_standin). PIPEDRIVE_API_URL is the API host
# (https://api.pipedrive.com or https://<company>.pipedrive.com); PIPEDRIVE_APP_URL the web app, for links.
PIPEDRIVE_API_URL = env.str(
    "PIPEDRIVE_API_URL", default=f"http://127.0.0.1:{env.int('PIPEDRIVE_STANDIN_PORT', default=8767)}"
).rstrip("/")
PIPEDRIVE_APP_URL = env.str("PIPEDRIVE_APP_URL", default=PIPEDRIVE_API_URL).rstrip("/")
# An API token (sent as x-api-token) or an OAuth access token (sent as a bearer; it wins when both are set).
PIPEDRIVE_API_TOKEN = env.str("PIPEDRIVE_API_TOKEN", default="standin-api-token")
PIPEDRIVE_ACCESS_TOKEN = env.str("PIPEDRIVE_ACCESS_TOKEN", default="")
PIPEDRIVE_TIMEOUT = env.float("PIPEDRIVE_TIMEOUT", default=20.0)
# A rate-limit wait up to this long is spent in the worker; a longer one reschedules the conversion.
PIPEDRIVE_MAX_WAIT_SECONDS = env.float("PIPEDRIVE_MAX_WAIT_SECONDS", default=10.0)
# Keys (40-character hashes, Settings > Data fields) of the text custom fields holding Leadflow's conversion key
# on Organizations, Persons and Deals, and of the Organization fields matched on (empty: not matched on).
PIPEDRIVE_ORGANIZATION_KEY_FIELD = env.str(
    "PIPEDRIVE_ORGANIZATION_KEY_FIELD", default="5f1c6b0a1e4d2c3b4a5968778695a4b3c2d1e0f1"
)
PIPEDRIVE_PERSON_KEY_FIELD = env.str("PIPEDRIVE_PERSON_KEY_FIELD", default="8c4f9e3d4170506e7d8c9baab928d7e6f5041324")
PIPEDRIVE_DEAL_KEY_FIELD = env.str("PIPEDRIVE_DEAL_KEY_FIELD", default="9d50af4e5281617f8e9dacbbca39e8f706152435")
PIPEDRIVE_KVK_FIELD = env.str("PIPEDRIVE_KVK_FIELD", default="6a2d7c1b2f5e3d4c5b6a79889706b5c4d3e2f102")
PIPEDRIVE_DOMAIN_FIELD = env.str("PIPEDRIVE_DOMAIN_FIELD", default="7b3e8d2c306f4e5d6c7b8a99a817c6d5e4f30213")
PIPEDRIVE_CURRENCY = env.str("PIPEDRIVE_CURRENCY", default="EUR")
# The basic-auth credentials set on the Pipedrive webhook (http_auth_user / http_auth_password); no password: refused.
PIPEDRIVE_WEBHOOK_USER = env.str("PIPEDRIVE_WEBHOOK_USER", default="leadflow")
PIPEDRIVE_WEBHOOK_PASSWORD = env.str("PIPEDRIVE_WEBHOOK_PASSWORD", default="")
# Won deals are also polled (a webhook can be missed): this often, for conversions of this many days.
PIPEDRIVE_WON_DEALS_POLL_SECONDS = env.float("PIPEDRIVE_WON_DEALS_POLL_SECONDS", default=60.0)
PIPEDRIVE_WON_DEALS_WINDOW_DAYS = env.int("PIPEDRIVE_WON_DEALS_WINDOW_DAYS", default=365)

# --- review (sales workspace) -------------------------------------------------------------------
LOGIN_URL = "review:login"
LOGIN_REDIRECT_URL = "review:queue"
LOGOUT_REDIRECT_URL = "review:login"
# First-response SLA, in hours, for sources without their own ResponseTarget row.
LEADFLOW_FIRST_RESPONSE_HOURS = env.int("LEADFLOW_FIRST_RESPONSE_HOURS", default=24)
# Open leads no person has touched for this many days are marked stale in the queue.
LEADFLOW_STALE_AFTER_DAYS = env.int("LEADFLOW_STALE_AFTER_DAYS", default=7)
LEADFLOW_QUEUE_PAGE_SIZE = env.int("LEADFLOW_QUEUE_PAGE_SIZE", default=50)

# --- sync ---------------------------------------------------------------------------------------
# A job that keeps failing is `dead` after this many attempts or once this long has passed since it was queued.
SYNC_MAX_ATTEMPTS = env.int("SYNC_MAX_ATTEMPTS", default=20)
SYNC_RETRY_WINDOW_SECONDS = env.int("SYNC_RETRY_WINDOW_SECONDS", default=3 * 86400)
# Backoff: base·2^(attempt-1) seconds, capped, with jitter.
SYNC_BACKOFF_BASE_SECONDS = env.float("SYNC_BACKOFF_BASE_SECONDS", default=30.0)
SYNC_BACKOFF_MAX_SECONDS = env.int("SYNC_BACKOFF_MAX_SECONDS", default=6 * 3600)
# How long a worker may hold a job; a killed worker's job is handed out again after this.
SYNC_LEASE_SECONDS = env.int("SYNC_LEASE_SECONDS", default=300)
SYNC_SWEEP_SECONDS = env.float("SYNC_SWEEP_SECONDS", default=15.0)
SYNC_USER_AGENT = "Leadflow-Sync/1"
# Alerts: addresses to email, failures in a row, queue age, and how often a standing alert repeats.
SYNC_ALERT_EMAILS = env.list("SYNC_ALERT_EMAILS", default=[])
SYNC_ALERT_FAILURES = env.int("SYNC_ALERT_FAILURES", default=5)
SYNC_ALERT_QUEUE_AGE_SECONDS = env.int("SYNC_ALERT_QUEUE_AGE_SECONDS", default=3600)
SYNC_ALERT_REPEAT_SECONDS = env.int("SYNC_ALERT_REPEAT_SECONDS", default=86400)
# Exact Online app registration; the defaults talk to the local stand-in (manage.py exact_standin).
EXACT_BASE_URL = env.str(
    "EXACT_BASE_URL",
    default=f"http://127.0.0.1:{env.int('EXACT_STANDIN_PORT', default=8766)}",  # Procfile.dev's stand-in
).rstrip("/")
EXACT_CLIENT_ID = env.str("EXACT_CLIENT_ID", default="leadflow-exact-standin")
EXACT_CLIENT_SECRET = env.str("EXACT_CLIENT_SECRET", default="standin-secret")
EXACT_REDIRECT_URI = env.str("EXACT_REDIRECT_URI", default=f"{LEADFLOW_BASE_URL}/sync/exact/callback/")
EXACT_TIMEOUT_SECONDS = env.float("EXACT_TIMEOUT_SECONDS", default=30.0)
# Refresh the access token when it has less than this left (Exact refuses earlier refreshes).
EXACT_REFRESH_MARGIN_SECONDS = env.int("EXACT_REFRESH_MARGIN_SECONDS", default=30)
# Exact issues a new access token at most once per 570 s (9.5 minutes), counted from the last request that may
# have produced one; a refresh whose answer was lost is repeated (with the old, still valid token) after this.
EXACT_REFRESH_INTERVAL_SECONDS = env.int("EXACT_REFRESH_INTERVAL_SECONDS", default=570)
# Calls per minute shared by every worker (Exact: 60 per app and division); the window is a little longer than
# Exact's minute to absorb clock skew and latency. A worker waits up to EXACT_BUDGET_WAIT_SECONDS for a free
# slot, otherwise the target pauses until one frees up.
EXACT_CALLS_PER_MINUTE = env.int("EXACT_CALLS_PER_MINUTE", default=60)
EXACT_BUDGET_WINDOW_SECONDS = env.float("EXACT_BUDGET_WINDOW_SECONDS", default=62.0)
EXACT_BUDGET_WAIT_SECONDS = env.float("EXACT_BUDGET_WAIT_SECONDS", default=5.0)
# What Exact's customers still owe (open sales items) is read back this often and shown on the lead page.
EXACT_OPEN_ITEMS_SECONDS = env.float("EXACT_OPEN_ITEMS_SECONDS", default=900.0)

# --- WooCommerce (leadflow.integrations.woocommerce, docs/woocommerce.md) --------------------------
WOOCOMMERCE_TIMEOUT_SECONDS = env.float("WOOCOMMERCE_TIMEOUT_SECONDS", default=30.0)
# Records per back-fill page (WordPress allows 1 to 100).
WOOCOMMERCE_PAGE_SIZE = env.int("WOOCOMMERCE_PAGE_SIZE", default=100)
# A back-fill worker holds its back-fill this long per page; a killed worker's back-fill is taken over after it.
WOOCOMMERCE_BACKFILL_LEASE_SECONDS = env.int("WOOCOMMERCE_BACKFILL_LEASE_SECONDS", default=300)
# Largest webhook body accepted (an order with many lines is bigger than an intake form).
WOOCOMMERCE_MAX_BODY_BYTES = env.int("WOOCOMMERCE_MAX_BODY_BYTES", default=2 * 1024 * 1024)
# Stored webhooks still unprocessed after this long are handed to a worker again.
WOOCOMMERCE_REQUEUE_AFTER_SECONDS = env.int("WOOCOMMERCE_REQUEUE_AFTER_SECONDS", default=60)
# Webhook requests (refused, ignored, processed) are forgotten after this many days; what they made stays.
WOOCOMMERCE_WEBHOOK_RETENTION_DAYS = env.int("WOOCOMMERCE_WEBHOOK_RETENTION_DAYS", default=30)

# --- Periodic tasks (beat) -----------------------------------------------------------------------
# Periodic wake-ups; the database holds the pending work, so a missed beat only delays it.
CELERY_BEAT_SCHEDULE = {
    "heartbeat": {"task": "leadflow.core.tasks.beat_heartbeat", "schedule": 30.0},
    "sweep-stuck-leads": {"task": "leadflow.leads.tasks.sweep_stuck_leads", "schedule": 60.0},
    "resume-stalled-reclassifications": {
        "task": "leadflow.qualification.tasks.resume_stalled_reclassifications",
        "schedule": 300.0,
    },
    "purge-intake-leftovers": {"task": "leadflow.intake.tasks.purge_leftovers", "schedule": 3600.0},
    "sweep-conversions": {"task": "leadflow.crm.tasks.sweep_conversions", "schedule": 30.0},
    "check-sync-alerts": {"task": "leadflow.sync.tasks.check_sync_alerts", "schedule": 300.0},
    "send-due-notifications": {"task": "leadflow.review.tasks.send_due_notifications", "schedule": 60.0},
    "retrain-match-model": {"task": "leadflow.quality.tasks.retrain_match_model", "schedule": 6 * 3600.0},
    "poll-salesforce-won-deals": {
        "task": "leadflow.integrations.salesforce.tasks.poll_salesforce_won_deals",
        "schedule": SALESFORCE_WON_DEALS_POLL_SECONDS,
    },
    "sweep-sync-jobs": {"task": "leadflow.sync.tasks.sweep_sync_jobs", "schedule": SYNC_SWEEP_SECONDS},
    "sweep-woocommerce": {"task": "leadflow.integrations.woocommerce.tasks.sweep_woocommerce", "schedule": 60.0},
    "exact-open-items": {
        "task": "leadflow.integrations.exact.tasks.refresh_exact_open_items",
        "schedule": EXACT_OPEN_ITEMS_SECONDS,
    },
    "poll-pipedrive-won-deals": {
        "task": "leadflow.integrations.pipedrive.tasks.poll_pipedrive_won_deals",
        "schedule": PIPEDRIVE_WON_DEALS_POLL_SECONDS,
    },
}


# === Plug-in wiring ================================================================================
# Which implementations this deployment uses, each a dotted path checked at start-up (`manage.py check`,
# leadflow.E001-E003); the contracts and the one loader are described in docs/plugins.md. Everything above is
# configuration read from the environment.

# Gate checks per transition: each a dotted path to a leadflow.leads.gates.Gate subclass. "convert" may list
# gates too: they are asked when a conversion is requested and again when it commits (leadflow.crm.services,
# which also owns conversion's own precondition: Salesforce holds the records).
LEADFLOW_GATES = {
    "validate": ["leadflow.quality.gates.ValidationGate"],
    "qualify": [
        "leadflow.quality.gates.DuplicateGate",
        "leadflow.qualification.gates.CriteriaGate",
    ],
}
# Steps the background pipeline runs, in order, for a new or edited lead: each `step(*, lead)`.
# "checks" may call outside systems (a CRM look-up), so each commits on its own; "decisions" (the automatic
# transitions) then run in one transaction that also clears the lead's `checks_due_at`, so no reader ever sees a
# lead in its new state with its checks still marked as running.
LEADFLOW_PIPELINE = {
    "checks": ["leadflow.quality.services.lead_run_checks"],
    "decisions": [
        "leadflow.leads.services.lead_auto_validate",
        "leadflow.qualification.services.lead_auto_qualify",
        "leadflow.review.services.lead_auto_assign",
    ],
}
# Validators and duplicate matchers run by leadflow.quality.services.lead_run_checks, in order.
LEADFLOW_VALIDATORS = [
    "leadflow.quality.validators.TextHygieneValidator",
    "leadflow.quality.validators.CountryValidator",
    "leadflow.quality.validators.PersonNameValidator",
    "leadflow.quality.validators.CompanyNameValidator",
    "leadflow.quality.validators.RequiredFieldsValidator",
    "leadflow.quality.validators.EmailValidator",
    "leadflow.quality.validators.PhoneValidator",
    "leadflow.quality.validators.WebsiteValidator",
    "leadflow.quality.validators.VatNumberValidator",
    "leadflow.quality.validators.RegistrationNumberValidator",
    "leadflow.quality.validators.PostcodeValidator",
]
LEADFLOW_MATCHERS = [
    "leadflow.quality.matching.matchers.LeadMatcher",
    "leadflow.quality.matching.matchers.RemoteMatcher",
]
# Conversion criteria: each a leadflow.qualification.criteria.Criterion.
LEADFLOW_CRITERIA = [
    "leadflow.qualification.criteria.CompanyAndPersonKnown",
    "leadflow.qualification.criteria.RuleCriteria",
]
# Dotted path to a leadflow.quality.remote.RemoteDirectory that finds records already in the CRM
# (e.g. "leadflow.integrations.salesforce.directory.SalesforceDirectory"); empty switches remote duplicate matching off.
LEADFLOW_REMOTE_DIRECTORY = env.str("LEADFLOW_REMOTE_DIRECTORY", default="")
# Inlines other apps add to the lead's admin page (dotted paths to InlineModelAdmin classes).
LEADFLOW_LEAD_ADMIN_INLINES = [
    "leadflow.quality.admin.LeadFindingInline",
    "leadflow.quality.admin.DuplicateCandidateInline",
    "leadflow.qualification.admin.LeadAssessmentInline",
    "leadflow.crm.admin.ConversionInline",
    "leadflow.sync.admin.LeadSyncJobInline",
]
# Actions other apps add to the lead list in the admin (dotted paths to admin action functions).
LEADFLOW_LEAD_ADMIN_ACTIONS = ["leadflow.crm.admin.convert_selected"]
# Dotted paths to `hook(*, lead, conversion)`, called inside the transaction that marks a lead converted.
LEADFLOW_CONVERSION_HOOKS = ["leadflow.sync.services.outbox_enqueue_conversion"]
# Dotted paths to `hook(*, entries)`, called with the lead audit entries (LeadEvent) a service writes, inside its
# transaction: the outbox turns new leads, qualifications, rejections, won deals and customer news into events.
LEADFLOW_LEAD_EVENT_HOOKS = ["leadflow.sync.services.outbox_enqueue_audit_entries"]
# The CRMs a lead can convert into: name (the target's `name`) -> leadflow.crm.targets.CrmTarget subclass. Each
# installed CRM integration offers its own (Salesforce, Pipedrive: `plugins.offer` in its AppConfig); list here
# only a CRM target of your own, or a name with "" to switch an installed one off.
LEADFLOW_CRM_TARGETS: dict[str, str] = {}
# Kinds of downstream targets an admin can configure: kind (the target's `name`) -> leadflow.sync.targets.Target
# subclass. Each installed integration offers its own (webhook, Exact, SnelStart, Business Central), so adding one is
# its line in INSTALLED_APPS (docs/sync.md, "Adding a target"); list here only a target of your own, or a kind with
# "" to switch an installed one off.
SYNC_TARGET_KINDS: dict[str, str] = {}
