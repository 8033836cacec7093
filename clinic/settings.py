"""Settings, read from the environment (django-environ) with documented defaults.

With no environment at all the app runs on the embedded default: SQLite (WAL) under
``var/``, Celery on kombu's filesystem transport under ``var/``, e-mail written to files
under ``var/``. Production sets ``DATABASE_URL``, ``REDIS_URL``, ``EMAIL_URL``,
``SECRET_KEY`` and ``ALLOWED_HOSTS``; the README lists every variable.
"""

from __future__ import annotations

import base64
from datetime import timedelta
from pathlib import Path

import environ
from celery.schedules import crontab
from csp import constants as csp
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()

DEBUG = env.bool("DEBUG", default=False)
# Relative paths are taken from the project folder.
VAR_DIR = BASE_DIR / env.str("VAR_DIR", default="var")

# Production never runs on a key that is in the repository.
_DEV_ONLY_SECRET_KEY = "dev-only-insecure-key-never-use-in-production-0123456789abcdef"  # noqa: S105
SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY must be set when DEBUG is off. Generate one with: "
            "python -c 'import secrets; print(secrets.token_urlsafe(50))'"
        )
    SECRET_KEY = _DEV_ONLY_SECRET_KEY

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
# Where links in e-mails and text messages point.
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000")

INSTALLED_APPS = [
    # Django's admin, its site limited to each admin's clinic (clinic/admin_site.py).
    "clinic.admin_apps.ClinicAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    # Swagger UI's files, served by the app itself: the docs page loads nothing from a CDN.
    "drf_spectacular_sidecar",
    "phonenumber_field",
    "axes",
    "django_htmx",
    "csp",
    "clinic",
    "clinic.scheduling",
    "clinic.outbox",
    "clinic.portal",
    "clinic.webhooks",
    "intake",
    "assessments",
    "plans",
    "notes",
    "running",
]
# changepassword refuses a clinic's staff (only they set their password) and audits the rest:
# before django.contrib.auth, since of two apps naming a command Django runs the first's.
INSTALLED_APPS.insert(INSTALLED_APPS.index("django.contrib.auth"), "clinic.staff_commands")

# Repeated bad intake links from one address are refused for a while (django-ratelimit).
RATELIMIT_BAD_INTAKE_LINKS = env.str("RATELIMIT_BAD_INTAKE_LINKS", default="10/15m")

MIDDLEWARE = [
    # The liveness probe's answer, before everything else (it needs none of it).
    "clinic.health.LivenessProbeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Browser hardening headers on every response (the policies are under "HTTPS and browser hardening").
    "csp.middleware.CSPMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # After WhiteNoise, which answers static files itself: those keep their long cache.
    "clinic.middleware.NoStoreMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "clinic.middleware.IdleSessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "clinic.middleware.AuditContextMiddleware",
    "clinic.middleware.ClinicTimezoneMiddleware",
    # Last, as django-axes asks, so it sees the outcome of authentication.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "clinic.urls"
WSGI_APPLICATION = "clinic.wsgi.application"

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
                "clinic.context_processors.navigation",
            ],
        },
    },
]

# --- Database -----------------------------------------------------------------------
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    # WAL lets the web process read while the worker writes; IMMEDIATE transactions
    # take the write lock up front so concurrent writers wait instead of failing.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache: Redis in production, files under var/ otherwise (shared by all processes) --
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    }

# --- Accounts, passwords, sessions, lockout ------------------------------------------
AUTH_USER_MODEL = "clinic.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "clinic.backends.StaffBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "login"

# Inactivity expiry: requests push the expiry forward, so the session ends after this many
# idle minutes rather than a fixed time after login. clinic.middleware.IdleSessionMiddleware
# saves the session (pushing its expiry) when its last save is SESSION_TOUCH_SECONDS old, not on
# every request: a session ends up to that much before the idle window is over, never after.
SESSION_IDLE_MINUTES = env.int("SESSION_IDLE_MINUTES", default=30)
SESSION_COOKIE_AGE = SESSION_IDLE_MINUTES * 60
SESSION_TOUCH_SECONDS = 60
SESSION_SAVE_EVERY_REQUEST = False
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("LOGIN_LOCKOUT_MINUTES", default=15))
# The pair (account, client address) is locked: failures from one address never lock the
# account for another, so nobody can lock a colleague out from elsewhere.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
# The login form's field is "username" even though staff type their e-mail address.
AXES_USERNAME_FORM_FIELD = "username"
# Failures count against the address as sign-in looks it up, whatever its case or spacing.
AXES_USERNAME_CALLABLE = "clinic.backends.lockout_username"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False

# --- Internationalisation and time --------------------------------------------------
LANGUAGE_CODE = "en-us"
# The server's default; each clinic has its own time zone, activated per request.
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

# --- Static and media files ---------------------------------------------------------
STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(VAR_DIR / "static")))
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(VAR_DIR / "media")))
# Production serves hashed, compressed files collected by ``collectstatic``; tests and
# DEBUG serve them straight from static/.
STATIC_MANIFEST = env.bool("STATIC_MANIFEST", default=not DEBUG)
WHITENOISE_USE_FINDERS = not STATIC_MANIFEST
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if STATIC_MANIFEST
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# --- E-mail -------------------------------------------------------------------------
if env.str("EMAIL_URL", default=""):
    vars().update(env.email_url("EMAIL_URL"))
else:
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = str(VAR_DIR / "mail")
# Seconds an SMTP connection may block; without it a mail server that stops answering holds a
# worker process (and its message, "sending") for ever.
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=30)
# Text messages: files under var/sms/ until a provider backend is configured.
SMS_BACKEND = env.str("SMS_BACKEND", default="clinic.messaging.FileSmsBackend")
SMS_FILE_PATH = str(VAR_DIR / "sms")
# SMS_BACKEND=clinic.messaging.TwilioSmsBackend sends through Twilio; `manage.py check` names what is missing.
TWILIO_ACCOUNT_SID = env.str("TWILIO_ACCOUNT_SID", default="")
TWILIO_AUTH_TOKEN = env.str("TWILIO_AUTH_TOKEN", default="")
TWILIO_FROM_NUMBER = env.str("TWILIO_FROM_NUMBER", default="")
TWILIO_MESSAGING_SERVICE_SID = env.str("TWILIO_MESSAGING_SERVICE_SID", default="")
TWILIO_TIMEOUT_SECONDS = env.float("TWILIO_TIMEOUT_SECONDS", default=10.0)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Clinic <no-reply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Celery -------------------------------------------------------------------------
CELERY_BROKER_URL = REDIS_URL or "filesystem://"
if not REDIS_URL:
    # Web, worker and beat all need the folders; whichever starts first makes them.
    _celery_queue = VAR_DIR / "celery" / "queue"
    _celery_queue.mkdir(parents=True, exist_ok=True)
    (VAR_DIR / "celery" / "processed").mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_celery_queue),
        "data_folder_out": str(_celery_queue),
        "processed_folder": str(VAR_DIR / "celery" / "processed"),
        # Broadcasts (worker control, inspect) keep their exchange tables here; kombu's
        # default is a "control" folder in the working directory.
        "control_folder": str(VAR_DIR / "celery" / "control"),
        "store_processed": False,
    }
else:
    # kombu's Redis transport with the worker's exit on broker loss turned into a reconnect.
    CELERY_BROKER_TRANSPORT = "clinic.broker:Transport"
    # A task not acknowledged within this window is redelivered; longer than any task.
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
# Lost background work (a task message gone with the broker, a worker killed mid-task) is made
# good by a sweep; the database row, not the broker, says what is still to do. A patient message
# queued this long without its task running is claimed again by the next dispatch (every
# minute). Well above the usual wait of a queued send (the reminder bench: 165 reminders a second
# or more on two worker processes); a second task for a message sends nothing, the row being its record.
OUTBOX_REQUEUE_AFTER_SECONDS = env.int("OUTBOX_REQUEUE_AFTER_SECONDS", default=90)
# A patient message left "sending" this long was cut off by a dead worker: it is marked failed
# ("may not have arrived") for the front desk, never sent again. Far above the longest send (the
# text-message provider's timeout, TWILIO_TIMEOUT_SECONDS, and the mail server's).
OUTBOX_INTERRUPTED_AFTER_SECONDS = env.int("OUTBOX_INTERRUPTED_AFTER_SECONDS", default=600)
# The dispatcher's sends go this many to a task: prepared, sent one by one and recorded together,
# so a worker killed mid-batch leaves up to this many rows "sending" (failed after the threshold
# above, which stays above a whole batch of sends at the provider's timeout: 25 x 10 s).
OUTBOX_SEND_BATCH = env.int("OUTBOX_SEND_BATCH", default=25)
# A handout queued or rendering this long is queued again by the sweep (every minute). Far above
# the longest render (the handout bench: a three-page PDF in 0.6 s, at most 0.7 s; the recovery
# bench's 30-week plan with every home exercise, 6 s); a render queued twice is rendered once, the
# row being locked and a ready handout never rendered again.
HANDOUT_REQUEUE_AFTER_SECONDS = env.int("HANDOUT_REQUEUE_AFTER_SECONDS", default=90)
# Beat writes its schedule there; on a machine that runs beat alone, nothing else makes the folder.
VAR_DIR.mkdir(parents=True, exist_ok=True)
# How often beat runs the outbox dispatch and the handout sweep. With the thresholds above, lost
# work is taken up within threshold + interval: at most 150 s for a message or a handout (README:
# Supervision and recovery, measured by bench/recovery.py).
OUTBOX_DISPATCH_EVERY_SECONDS = env.float("OUTBOX_DISPATCH_EVERY_SECONDS", default=60.0)
HANDOUT_SWEEP_EVERY_SECONDS = env.float("HANDOUT_SWEEP_EVERY_SECONDS", default=60.0)
# Beat queues a heartbeat task this often and a worker records when it ran it; /readyz reports
# the worker as not consuming once the last one is older than WORKER_STALE_AFTER_SECONDS (four
# heartbeats missed: a worker busy with a burst of sends is not reported).
WORKER_HEARTBEAT_EVERY_SECONDS = env.float("WORKER_HEARTBEAT_EVERY_SECONDS", default=30.0)
WORKER_STALE_AFTER_SECONDS = env.int("WORKER_STALE_AFTER_SECONDS", default=120)
# Runners' device files (running/services/uploads.py): the largest accepted (a 2-hour FIT file at one
# record a second is about 0.2 MB; exports with every sensor stay far below), and how long the worker
# may read one before giving up (soft: the file is marked failed; hard: the process is killed and the
# sweep takes the file up again). bench/device_import.py measures a 2-hour file.
RUN_FILE_MAX_BYTES = env.int("RUN_FILE_MAX_BYTES", default=20 * 1024 * 1024)
RUN_FILE_PARSE_SOFT_SECONDS = env.int("RUN_FILE_PARSE_SOFT_SECONDS", default=60)
RUN_FILE_PARSE_HARD_SECONDS = env.int("RUN_FILE_PARSE_HARD_SECONDS", default=90)
# A file queued or being read this long is queued again by the sweep; above the hard limit.
RUN_FILE_REQUEUE_AFTER_SECONDS = env.int("RUN_FILE_REQUEUE_AFTER_SECONDS", default=300)
CELERY_BEAT_SCHEDULE = {
    "resend-unsent-staff-invitations": {"task": "clinic.tasks.sweep_staff_invitations", "schedule": 300.0},
    "resend-owed-account-notices": {"task": "clinic.tasks.sweep_account_notices", "schedule": 300.0},
    "resend-owed-intake-messages": {"task": "intake.tasks.sweep_intake_messages", "schedule": 300.0},
    "re-render-stuck-handouts": {"task": "plans.tasks.sweep_handouts", "schedule": HANDOUT_SWEEP_EVERY_SECONDS},
    "re-render-stuck-discharge-documents": {
        "task": "notes.tasks.sweep_discharge_documents",
        "schedule": HANDOUT_SWEEP_EVERY_SECONDS,
    },
    "dispatch-due-patient-messages": {
        "task": "clinic.outbox.tasks.dispatch_patient_messages",
        "schedule": OUTBOX_DISPATCH_EVERY_SECONDS,
    },
    "send-due-webhook-deliveries": {"task": "clinic.webhooks.tasks.sweep_webhook_deliveries", "schedule": 60.0},
    "record-worker-heartbeat": {
        "task": "clinic.tasks.record_worker_heartbeat",
        "schedule": WORKER_HEARTBEAT_EVERY_SECONDS,
        # A heartbeat that waited in the queue longer than the next one is worthless.
        "options": {"expires": WORKER_HEARTBEAT_EVERY_SECONDS},
    },
    "re-read-stuck-run-files": {"task": "running.tasks.sweep_run_files", "schedule": 300.0},
    "clear-expired-sessions": {"task": "clinic.tasks.clear_expired_sessions", "schedule": crontab(hour=3, minute=17)},
}

# --- Webhooks to clinics' own systems (clinic/webhooks/rules.py explains each rule) -----
# Attempts per event before it is given up; retries wait 1 min, 5 min, 30 min, 2 h, 6 h, 12 h, then 24 h.
WEBHOOK_MAX_ATTEMPTS = env.int("WEBHOOK_MAX_ATTEMPTS", default=8)
# An endpoint is switched off after this many events in a row were given up (or at once on 410 Gone).
WEBHOOK_DISABLE_AFTER = env.int("WEBHOOK_DISABLE_AFTER", default=5)
WEBHOOK_TIMEOUT_SECONDS = env.float("WEBHOOK_TIMEOUT_SECONDS", default=5.0)
# After a new secret is made, the old one also signs deliveries for this long (0: stops at once).
WEBHOOK_SECRET_OVERLAP_HOURS = env.int("WEBHOOK_SECRET_OVERLAP_HOURS", default=24)
# Fernet keys sealing the endpoints' secrets at rest, comma-separated, the first sealing and
# all opening; empty: one key derived from SECRET_KEY (clinic/webhooks/sealing.py).
WEBHOOK_SECRET_KEYS = env.list("WEBHOOK_SECRET_KEYS", default=[])
for _key in WEBHOOK_SECRET_KEYS:
    # What Fernet itself takes (32 bytes in URL-safe base64), checked without importing the
    # cryptography library: it is some 7 MiB in every process, and only sealing needs it.
    try:
        _fernet_key = len(base64.urlsafe_b64decode(_key)) == 32
    except ValueError:
        _fernet_key = False
    if not _fernet_key:
        raise ImproperlyConfigured(
            "WEBHOOK_SECRET_KEYS holds a key that is not a Fernet key. Make one with: "
            "python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'"
        )
# Off in production: no delivery connects to loopback or private addresses (the app's neighbours).
WEBHOOK_ALLOW_PRIVATE_NETWORKS = env.bool("WEBHOOK_ALLOW_PRIVATE_NETWORKS", default=DEBUG)

# --- HTTPS and browser hardening (on whenever DEBUG is off) --------------------------
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
# Health probes call the process directly over plain HTTP (clinic/health.py).
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^readyz/worker$"]
SESSION_COOKIE_SECURE = env.bool("SECURE_COOKIES", default=not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
# The directive alone submits nothing; it lets the operator apply for browser preload lists.
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Content-Security-Policy (django-csp): everything from this origin only, no inline script or style
# but the few <script>/<style> elements carrying the response's nonce, no plugins, no <base>,
# forms post here only, no framing. data: images are Swagger UI's icons.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [csp.SELF],
        "script-src": [csp.SELF, csp.NONCE],
        "style-src": [csp.SELF, csp.NONCE],
        "img-src": [csp.SELF, "data:"],
        "object-src": [csp.NONE],
        "base-uri": [csp.NONE],
        "form-action": [csp.SELF],
        "frame-ancestors": [csp.NONE],
    }
}
# Permissions-Policy (django-permissions-policy): no page of the app uses these browser features.
PERMISSIONS_POLICY = {
    feature: []
    for feature in (
        "accelerometer",
        "autoplay",
        "bluetooth",
        "browsing-topics",
        "camera",
        "display-capture",
        "encrypted-media",
        "geolocation",
        "gyroscope",
        "hid",
        "idle-detection",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "picture-in-picture",
        "screen-wake-lock",
        "serial",
        "usb",
        "xr-spatial-tracking",
    )
}
BEHIND_TLS_PROXY = env.bool("BEHIND_TLS_PROXY", default=False)
if BEHIND_TLS_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# --- Client address (clinic/client_address.py) ----------------------------------------
# Reverse proxies in front of the app, each appending the address it was called from to
# X-Forwarded-For; behind a TLS proxy, at least that one. With 0 the header is ignored.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=1 if BEHIND_TLS_PROXY else 0)
if TRUSTED_PROXY_COUNT < 0:
    raise ImproperlyConfigured("TRUSTED_PROXY_COUNT is the number of reverse proxies in front of the app: 0 or more.")
# The lockout, the bad-link limit, the API throttle and the audit trail all take it from there.
AXES_CLIENT_IP_CALLABLE = "clinic.client_address.client_ip"
RATELIMIT_IP_META_KEY = "clinic.client_address.client_ip"

# --- REST framework -----------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "clinic.api_auth.SessionAuthentication",
        "clinic.api_auth.ApiTokenAuthentication",
    ],
    "DEFAULT_THROTTLE_CLASSES": ["clinic.api_auth.ApiRateThrottle"],
    # Per API token, and per signed-in user (or address) for the browser's own API calls.
    "DEFAULT_THROTTLE_RATES": {
        "api_token": env.str("API_TOKEN_RATE", default="1000/hour"),
        "api_session": env.str("API_SESSION_RATE", default="1000/hour"),
    },
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # The browsable API's pages get the one policy exception they need (clinic/drf.py).
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer", "clinic.drf.BrowsableAPIRenderer"],
    # DRF's parsers, refusing control characters in any key or value of a body (clinic/text_input.py).
    "DEFAULT_PARSER_CLASSES": [
        "clinic.text_input.JSONParser",
        "clinic.text_input.FormParser",
        "clinic.text_input.MultiPartParser",
    ],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 25,
    "DEFAULT_FILTER_BACKENDS": [
        # django-filter, with every model choice limited to the user's clinic.
        "clinic.drf.ScopedFilterBackend",
        "clinic.drf.StableOrderingFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "clinic.api_schema.StrideAutoSchema",
    # Every 400 is field -> list of messages; messages of no single field under "detail".
    "EXCEPTION_HANDLER": "clinic.drf.exception_handler",
    "NON_FIELD_ERRORS_KEY": "detail",
}

# OpenAPI 3 schema (drf-spectacular) at /api/schema/, Swagger UI at /api/docs/.
SPECTACULAR_SETTINGS = {
    "TITLE": "Stride API",
    "VERSION": "1",
    "DESCRIPTION": (
        "Case management for clinics that treat runners: patients, episodes of care, intake, "
        "assessments and findings, treatment plans and the schedule. Every endpoint applies the "
        "same role and clinic rules as the web pages: a record of another clinic answers 404, a "
        "record your role may not see answers 403. Bad input answers 400 with the messages per "
        "field. Patients, episodes and clinical records are corrected or closed, never deleted "
        "(only an item of a draft plan can be removed). Lists are paginated (`page`) and can be "
        "ordered (`ordering`: field names, `-` for descending). Patient search is a POST so that "
        "names never appear in addresses."
    ),
    # The schema describes the API, not patients, but it is still only for signed-in staff.
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/",
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    # Links from each create to the calls that take the new record's id (clinic.api_schema).
    "POSTPROCESSING_HOOKS": ["drf_spectacular.hooks.postprocess_schema_enums", "clinic.api_schema.add_links"],
    # One name for each choice set that several serializers use.
    "ENUM_NAME_OVERRIDES": {
        "ReadinessDecisionEnum": "running.models.Decision",
        "RunFileDuplicateDecisionEnum": "running.models.DuplicateDecision",
        "ContactChannelEnum": "clinic.models.ContactChannel",
        "AppointmentKindEnum": "clinic.scheduling.models.AppointmentKind",
        "AppointmentStatusChangeEnum": "clinic.scheduling.api.STATUS_CHANGES",
        "ApiTokenStatusEnum": "clinic.api.TOKEN_STATUSES",
        "VisitNoteResponseEnum": "notes.models.Response",
        "ReturnToRunStepEnum": "running.models.PhaseStep",
    },
}

PHONENUMBER_DEFAULT_REGION = env.str("PHONE_REGION", default="US")

# --- Logging: request paths carry ids only; PHI is never logged ------------------------
# Every handler has the filter that writes patient-link tokens as <token> and database errors
# without the values they quote (clinic/log_redaction.py). Django's own handlers are replaced:
# its e-mail to ADMINS would carry each frame's local variables and the request's body, and
# its DEBUG console would print every record twice.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "quiet_refusals": {"()": "clinic.quiet_refusals.QuietRefusals"},
        "redact_patient_links": {"()": "clinic.log_redaction.RedactPatientLinks"},
    },
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["quiet_refusals", "redact_patient_links"],
        }
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django": {"handlers": [], "propagate": True},
        # runserver's request lines.
        "django.server": {"handlers": ["console"], "propagate": False},
        "weasyprint": {"level": "WARNING"},
        # Twilio's client logs every request's URL and headers at INFO.
        "twilio": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
        # Lockouts are logged as warnings; each successful sign-in need not be.
        "axes": {"level": "WARNING"},
    },
}

# --- Two-factor sign-in (django-otp: authenticator-app codes and single-use recovery codes) ---
# Clinicians, clinic admins and anyone with Django admin access always sign in with a second
# factor; the front desk when their clinic's settings say so (clinic/two_factor/rules.py).
INSTALLED_APPS += [
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "clinic.two_factor",
]
# Between a right password and the code (or setting up the app) the sign-in waits this long.
TWO_FACTOR_PENDING_MINUTES = env.int("TWO_FACTOR_PENDING_MINUTES", default=10)
# The name authenticator apps show beside the account's e-mail address.
OTP_TOTP_ISSUER = env.str("TWO_FACTOR_ISSUER", default="Stride")
OTP_ADMIN_HIDE_SENSITIVE_DATA = True
# A code typed at sign-in never lands in django-axes' records of failed attempts.
AXES_SENSITIVE_PARAMETERS = ["username", "ip_address", "code"]
# Error reports (Django's technical 500 page when DEBUG is on, any e-mailed report) show no
# request body, query, cookie or header and no local variable when DEBUG is off.
DEFAULT_EXCEPTION_REPORTER_FILTER = "clinic.log_redaction.PhiFreeExceptionReporterFilter"
DEFAULT_EXCEPTION_REPORTER = "clinic.log_redaction.PhiFreeExceptionReporter"
