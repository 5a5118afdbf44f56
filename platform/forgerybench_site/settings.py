"""ForgeryBench settings: one module, every deploy-time value from the environment.

Defaults give the embedded single-machine setup (`make demo`): a SQLite file and Celery's
filesystem broker under FORGERYBENCH_DATA_DIR. Production and the test suite point
DATABASE_URL at PostgreSQL and CELERY_BROKER_URL at Redis.
"""

import secrets
from datetime import timedelta
from pathlib import Path
from typing import Any

import dj_database_url
from celery.schedules import crontab

from .env import ConfigError, env_bool, env_float, env_int, env_list, env_path, env_str

BASE_DIR = Path(__file__).resolve().parents[2]
DATA_DIR = env_path("FORGERYBENCH_DATA_DIR", BASE_DIR / "var")

DEBUG = env_bool("DEBUG", False)
SECRET_KEY = env_str("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ConfigError("SECRET_KEY (or SECRET_KEY_FILE) must be set when DEBUG is off")
    SECRET_KEY = secrets.token_urlsafe(50)  # dev only: sessions end at each restart
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "accounts",
    "benchmarks",
    "submissions",
    "leaderboards",
    "console",
    "audit",
    "review",
    "runs",
    "ops",
    "notifications",
    "axes",
    "rest_framework",
    "drf_spectacular",
    "api",
]

MIDDLEWARE = [
    # Outermost: an upload its request did not consume is deleted when the request ends.
    "submissions.uploads.UploadCleanupMiddleware",
    # Probes and /metrics answer before host checks: kubelets and Prometheus use pod IPs.
    "ops.middleware.OpsEndpointsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # A cookieless reader's board page from the shared cache, before sessions, CSRF and the rest.
    "leaderboards.middleware.AnonymousBoardMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # The page's language: the language cookie (the switch in every page's header), else the
    # browser's Accept-Language, else LANGUAGE_CODE. URLs carry no language prefix.
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "forgerybench_site.urls"
WSGI_APPLICATION = "forgerybench_site.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "platform" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "notifications.context_processors.unread_notifications",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{DATA_DIR / 'db.sqlite3'}"),
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 0, minimum=0),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The web server and the worker write to one file: wait on locks instead of failing.
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    DATABASES["default"]["OPTIONS"] = {"timeout": 30, "transaction_mode": "IMMEDIATE"}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# PostgreSQL: migrations run as the owner role (its URL in the migrate step's DATABASE_URL);
# `manage.py db_app_role` then grants this less-privileged role, the one every other process
# connects as (ops.dbroles). The password file, when given, creates the role or sets its password.
FORGERYBENCH_DB_APP_ROLE = env_str("FORGERYBENCH_DB_APP_ROLE", "")
FORGERYBENCH_DB_APP_PASSWORD_FILE = env_str("FORGERYBENCH_DB_APP_PASSWORD_FILE", "")

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
# Behind TLS in production set SECURE_COOKIES=true; the one-machine demo serves plain HTTP.
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = env_bool("SECURE_COOKIES", False)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
# Accounts behind a proxy. How many reverse proxies in front of Django append to
# X-Forwarded-For (nginx of deploy/compose.yaml: 1; gunicorn serving directly: 0). The client's
# address (lib.clientip) is the one they report; what a client writes there itself is ignored.
FORGERYBENCH_TRUSTED_PROXY_COUNT = env_int("FORGERYBENCH_TRUSTED_PROXY_COUNT", 0, minimum=0)
# Login throttling by django-axes: after LOGIN_FAILURE_LIMIT failed logins from one client
# address, or for one account, further logins are refused (429) for LOGIN_COOLOFF_MINUTES.
# A success clears the count. `manage.py axes_reset_username NAME` unlocks an account early.
# Django's ModelBackend, reading the signed-in user's row through the shared cache
# (accounts.backends: every save of a user drops the copy; at most 30 s old otherwise).
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "accounts.backends.CachedModelBackend",
]
AXES_FAILURE_LIMIT = env_int("FORGERYBENCH_LOGIN_FAILURE_LIMIT", 10, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("FORGERYBENCH_LOGIN_COOLOFF_MINUTES", 15, minimum=1))
AXES_LOCKOUT_PARAMETERS = ["ip_address", "username"]
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "lib.clientip.client_ip"
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
# Signups per client address and API tokens created per account (DRF's throttle syntax).
FORGERYBENCH_SIGNUP_RATE = env_str("FORGERYBENCH_SIGNUP_RATE", "10/hour")
FORGERYBENCH_TOKEN_CREATE_RATE = env_str("FORGERYBENCH_TOKEN_CREATE_RATE", "20/hour")
# Sessions are read from the shared cache (written through to the database, which stays the
# record): no query per request. Logout, expiry and flush delete both copies.
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

# English and Simplified Chinese. The catalog is locale/zh_Hans/LC_MESSAGES/django.po, with its
# compiled .mo committed beside it (no gettext tools needed to run the site); docs/i18n.md.
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("zh-hans", "简体中文")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "platform" / "static"]
STORAGES: dict[str, dict[str, Any]] = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# Where scored splits' artifacts are kept for good: the data folder (default) or an
# S3-compatible bucket (MinIO, Ceph, AWS) through django-storages, shared by every node.
FORGERYBENCH_ARTIFACT_STORAGE = env_str("FORGERYBENCH_ARTIFACT_STORAGE", "filesystem")
if FORGERYBENCH_ARTIFACT_STORAGE == "s3":
    STORAGES["artifacts"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": env_str("FORGERYBENCH_S3_BUCKET", ""),
            "endpoint_url": env_str("FORGERYBENCH_S3_ENDPOINT_URL", "") or None,
            "region_name": env_str("FORGERYBENCH_S3_REGION", "") or None,
            "access_key": env_str("FORGERYBENCH_S3_ACCESS_KEY_ID", "") or None,
            "secret_key": env_str("FORGERYBENCH_S3_SECRET_ACCESS_KEY", "") or None,
            "location": env_str("FORGERYBENCH_S3_PREFIX", "artifacts"),
            "default_acl": None,
            "file_overwrite": True,
        },
    }
    if not STORAGES["artifacts"]["OPTIONS"]["bucket_name"]:
        raise ConfigError(
            "FORGERYBENCH_S3_BUCKET is required with FORGERYBENCH_ARTIFACT_STORAGE=s3"
        )
elif FORGERYBENCH_ARTIFACT_STORAGE == "filesystem":
    # The audit folder (FORGERYBENCH_AUDIT_DIR): stored predictions are written there in place.
    STORAGES["artifacts"] = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(DATA_DIR / "audit"), "allow_overwrite": True},
    }
else:
    raise ConfigError(
        f"FORGERYBENCH_ARTIFACT_STORAGE={FORGERYBENCH_ARTIFACT_STORAGE!r} is not one of: "
        "filesystem, s3"
    )

# Leaderboards are cached under keys that change with their data, and sessions, signed-in
# users and unread counts under keys their writers delete: the cache must be shared by every
# web process and worker (a file cache on one machine, Redis across nodes), never per process.
_cache_backend = env_str("CACHE_BACKEND", "lib.filecache.FileCache")
if _cache_backend.endswith((".LocMemCache", ".ProcessCache")):
    raise ConfigError(
        f"CACHE_BACKEND={_cache_backend} is not shared between processes: a logout or a "
        "password change would not reach the others; use the file cache or Redis"
    )
_cache_options: dict[str, object] = {}
if _cache_backend == "django.core.cache.backends.redis.RedisCache":
    # A cache server that stops answering (without refusing) must fail a request in about a
    # second, never hang it: bounds on connecting and on each reply (seconds; no retry).
    _cache_options = {
        "socket_connect_timeout": env_float("CACHE_SOCKET_CONNECT_TIMEOUT", 1.0, minimum=0.01),
        "socket_timeout": env_float("CACHE_SOCKET_TIMEOUT", 1.0, minimum=0.01),
    }
CACHES = {
    "default": {
        "BACKEND": _cache_backend,
        "LOCATION": env_str("CACHE_LOCATION", str(DATA_DIR / "cache")),
        "OPTIONS": _cache_options,
    },
    # Each process's own copy of the hottest entries (the anonymous leaderboard pages), under
    # keys that carry the shared generation counter, so a change is seen at the next request.
    "local": {
        "BACKEND": "lib.processcache.ProcessCache",
        "LOCATION": "forgerybench-local",
        "OPTIONS": {"MAX_ENTRIES": 256},
    },
    # Each process's copy of signed-in readers' page frames (leaderboards.pagecache; a few KB
    # each): apart, so many readers never push the pages and contents above out.
    "frames": {
        "BACKEND": "lib.processcache.ProcessCache",
        "LOCATION": "forgerybench-frames",
        "OPTIONS": {"MAX_ENTRIES": 2048},
    },
}

# Uploaded image tarballs stream straight to disk (never into memory).
FILE_UPLOAD_HANDLERS = ["submissions.uploads.StreamingTarballUploadHandler"]
FILE_UPLOAD_MAX_MEMORY_SIZE = 0
FORGERYBENCH_UPLOAD_DIR = DATA_DIR / "uploads"
FORGERYBENCH_MAX_UPLOAD_BYTES = env_int("FORGERYBENCH_MAX_UPLOAD_BYTES", 8 * 1024**3, minimum=1024)

# Where splits and run artifacts live. Labels sit in their own tree that is never mounted
# into a container.
FORGERYBENCH_SPLITS_DIR = DATA_DIR / "splits"
FORGERYBENCH_LABELS_DIR = DATA_DIR / "labels"
# Benchmark definitions applied from the organizer console (one <slug>.yaml each); read by
# `load_benchmarks` after benchmarks/definitions/, a benchmark here replacing the one there.
FORGERYBENCH_DEFINITIONS_DIR = DATA_DIR / "definitions"
# What containers wrote (unpacked from their output bundles): data, never a place the
# platform writes its own files into.
FORGERYBENCH_ARTIFACTS_DIR = DATA_DIR / "artifacts"
# The platform's own per-run files (unit tables): a tree no container output ever touches.
FORGERYBENCH_SCORES_DIR = DATA_DIR / "scores"
FORGERYBENCH_RUNS_DIR = DATA_DIR / "runs"
# Trusted audit store: compressed per-sample predictions and unit tables of every scored split.
FORGERYBENCH_AUDIT_DIR = DATA_DIR / "audit"
# The key of the audit chain head's HMAC (audit.anchor). Keep it outside the database and its
# backups (FORGERYBENCH_AUDIT_HMAC_KEY_FILE): then even the database owner cannot rewrite the log
# without `verify_audit_log` noticing. Empty: the head is published unkeyed.
FORGERYBENCH_AUDIT_HMAC_KEY = env_str("FORGERYBENCH_AUDIT_HMAC_KEY", "")
# The platform's side of the agent API: inputs archives by hash, uploaded output bundles.
FORGERYBENCH_AGENT_CACHE_DIR = DATA_DIR / "agent-cache"
# Untagged `docker save` copies of submitted images, `<hex of the image id>.tar`: written by
# intake (web), served to agents whose engine lacks one (submissions.images).
FORGERYBENCH_IMAGE_STORE_DIR = env_path("FORGERYBENCH_IMAGE_STORE_DIR", DATA_DIR / "images")
# What one submitted image may take (evaluator.image_tarball.ImageLimits), checked while its
# copy streams into the store: the uncompressed tarball, the files its layers unpack to, and
# how many times its size a compressed upload may expand (at least 256 MiB).
FORGERYBENCH_IMAGE_MAX_BYTES = env_int("FORGERYBENCH_IMAGE_MAX_BYTES", 16 * 1024**3, minimum=1024)
FORGERYBENCH_IMAGE_MAX_UNPACKED_BYTES = env_int(
    "FORGERYBENCH_IMAGE_MAX_UNPACKED_BYTES", 16 * 1024**3, minimum=1024
)
FORGERYBENCH_IMAGE_MAX_EXPANSION = env_int("FORGERYBENCH_IMAGE_MAX_EXPANSION", 20, minimum=1)
# Images submitted by reference (operator commands) are saved into the store too, so remote
# agents can fetch them; off only where every agent shares the operator's engine.
FORGERYBENCH_STORE_REFERENCED_IMAGES = env_bool("FORGERYBENCH_STORE_REFERENCED_IMAGES", True)
# The code's commit, recorded in every provenance; read from git when this is empty.
FORGERYBENCH_GIT_COMMIT = env_str("FORGERYBENCH_GIT_COMMIT", "")

# Container runner (protocol.md §2).
# Names this installation's containers, so several sites (or test runs) can share one engine.
FORGERYBENCH_INSTANCE = env_str("FORGERYBENCH_INSTANCE", "main")
FORGERYBENCH_RUN_USER = env_str("FORGERYBENCH_RUN_USER", "65534:65534")
FORGERYBENCH_PIDS_LIMIT = env_int("FORGERYBENCH_PIDS_LIMIT", 256, minimum=8)
FORGERYBENCH_OUTPUT_CAP_MB = env_int("FORGERYBENCH_OUTPUT_CAP_MB", 1024, minimum=8)
# Files and folders a run's /output may hold before it is refused whole (the team's failure).
FORGERYBENCH_OUTPUT_MAX_FILES = env_int("FORGERYBENCH_OUTPUT_MAX_FILES", 20_000, minimum=10)
FORGERYBENCH_TMPFS_MB = env_int("FORGERYBENCH_TMPFS_MB", 256, minimum=8)
FORGERYBENCH_LOG_TAIL_BYTES = env_int("FORGERYBENCH_LOG_TAIL_BYTES", 64 * 1024, minimum=1024)
# Without a loop-mounted filesystem /output has no hard size cap; only allow that knowingly.
FORGERYBENCH_ALLOW_UNCAPPED_OUTPUT = env_bool("FORGERYBENCH_ALLOW_UNCAPPED_OUTPUT", False)

# Run ownership: a running worker beats every HEARTBEAT seconds (and learns of a cancel then);
# a redelivered run takes over from an owner whose beat is older than the LEASE.
FORGERYBENCH_HEARTBEAT_SECONDS = env_int("FORGERYBENCH_HEARTBEAT_SECONDS", 2, minimum=1)
FORGERYBENCH_RUN_LEASE_SECONDS = env_int("FORGERYBENCH_RUN_LEASE_SECONDS", 60, minimum=2)
# Agent presence: each run agent says it is alive every PRESENCE seconds (idle or busy; the
# platform's answer sets the pace); one seen within PRESENCE_WINDOW is up, within a day stale
# or down, older not shown.
FORGERYBENCH_AGENT_PRESENCE_SECONDS = env_int("FORGERYBENCH_AGENT_PRESENCE_SECONDS", 15, minimum=1)
FORGERYBENCH_AGENT_PRESENCE_WINDOW_SECONDS = env_int(
    "FORGERYBENCH_AGENT_PRESENCE_WINDOW_SECONDS", 45, minimum=2
)
# The sweeper (submissions.sweeper, every SWEEP_INTERVAL by celery beat): per state, resend
# the message after a deadline without progress (queued: REQUEUE_QUEUED; running: a heartbeat
# older than the lease; scoring: REQUEUE_SCORING), and fail the submission (platform_timeout,
# never counted against a quota) past a final deadline: FAIL_QUEUED, the track's time limit
# per split plus FAIL_RUNNING_GRACE, FAIL_SCORING.
FORGERYBENCH_SWEEP_INTERVAL_SECONDS = env_int("FORGERYBENCH_SWEEP_INTERVAL_SECONDS", 60, minimum=1)
FORGERYBENCH_REQUEUE_QUEUED_SECONDS = env_int("FORGERYBENCH_REQUEUE_QUEUED_SECONDS", 600, minimum=1)
FORGERYBENCH_FAIL_QUEUED_SECONDS = env_int("FORGERYBENCH_FAIL_QUEUED_SECONDS", 86400, minimum=1)
FORGERYBENCH_FAIL_RUNNING_GRACE_SECONDS = env_int(
    "FORGERYBENCH_FAIL_RUNNING_GRACE_SECONDS", 900, minimum=1
)
FORGERYBENCH_REQUEUE_SCORING_SECONDS = env_int(
    "FORGERYBENCH_REQUEUE_SCORING_SECONDS", 600, minimum=1
)
FORGERYBENCH_FAIL_SCORING_SECONDS = env_int("FORGERYBENCH_FAIL_SCORING_SECONDS", 7200, minimum=1)
# GPUs this worker hands out, one container each (device indexes or UUIDs). Empty: the GPUs
# Kubernetes' device plugin gave this pod (NVIDIA_VISIBLE_DEVICES), else the engine picks one.
FORGERYBENCH_GPU_DEVICES = env_list(
    "FORGERYBENCH_GPU_DEVICES", env_list("NVIDIA_VISIBLE_DEVICES", [])
)
# Node-local folder for the GPU claim locks (never a volume shared between nodes).
FORGERYBENCH_GPU_LOCK_DIR = env_path(
    "FORGERYBENCH_GPU_LOCK_DIR", Path("/tmp") / f"forgerybench-{FORGERYBENCH_INSTANCE}-gpus"
)

# Operations: health checks (/healthz) and metrics (/metrics).
FORGERYBENCH_HEALTH_CHECKS = env_list(
    "FORGERYBENCH_HEALTH_CHECKS", ["database", "broker", "cache", "disk"]
)
FORGERYBENCH_HEALTH_MIN_FREE_MB = env_int("FORGERYBENCH_HEALTH_MIN_FREE_MB", 1024, minimum=0)
FORGERYBENCH_METRICS_TOKEN = env_str("FORGERYBENCH_METRICS_TOKEN", "")
# Without a token, /metrics answers only clients (lib.clientip) in these networks.
FORGERYBENCH_METRICS_NETWORKS = env_list(
    "FORGERYBENCH_METRICS_NETWORKS",
    ["127.0.0.0/8", "::1/128", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7"],
)

# Mail (notifications). With EMAIL_HOST set, mail goes to that SMTP server; without it (the
# embedded demo) each mail is written as a file under DATA_DIR/mail. Links in mails start
# with FORGERYBENCH_SITE_URL.
_email_host = env_str("EMAIL_HOST", "")
MAILERS: dict[str, dict[str, Any]]
if _email_host:
    MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {
                "host": _email_host,
                "port": env_int("EMAIL_PORT", 25, minimum=1),
                "username": env_str("EMAIL_HOST_USER", ""),
                "password": env_str("EMAIL_HOST_PASSWORD", ""),
                "use_tls": env_bool("EMAIL_USE_TLS", False),
                "use_ssl": env_bool("EMAIL_USE_SSL", False),
                "timeout": env_int("EMAIL_TIMEOUT", 30, minimum=1),
            },
        }
    }
else:
    MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "OPTIONS": {"file_path": str(DATA_DIR / "mail")},
        }
    }
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "ForgeryBench <noreply@localhost>")
FORGERYBENCH_SITE_URL = env_str("FORGERYBENCH_SITE_URL", "http://127.0.0.1:8000")
FORGERYBENCH_DIGEST_HOUR = env_int("FORGERYBENCH_DIGEST_HOUR", 7, minimum=0)
if FORGERYBENCH_DIGEST_HOUR > 23:
    raise ConfigError(f"FORGERYBENCH_DIGEST_HOUR={FORGERYBENCH_DIGEST_HOUR} is not an hour (0-23)")

# Celery. The embedded default needs no server: kombu's filesystem transport.
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", "filesystem://")
CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, object] = {}
if CELERY_BROKER_URL.startswith("filesystem://"):
    _broker_dir = DATA_DIR / "broker"
    # kombu's filesystem transport lists these folders and fails if they are missing.
    for _folder in ("queue", "control"):
        (_broker_dir / _folder).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }
elif CELERY_BROKER_URL.startswith(("redis://", "rediss://", "sentinel://")):
    # Ten priority levels (0 is served first) for the fair order across teams
    # (submissions.fairness); the default queue order (round robin) alternates between the
    # queues a worker consumes within each level.
    CELERY_BROKER_TRANSPORT_OPTIONS = {"priority_steps": list(range(10)), "sep": ":"}
CELERY_TASK_ALWAYS_EAGER = False
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Every Django task runs on the score queue's workers; `cpu` and `gpu` carry only run-job ids
# for the run agents (runagent), which never see the database.
CELERY_TASK_DEFAULT_QUEUE = "score"
# Scores have their own queue: a burst of queued runs must not hold back finished runs' results.
# Mail goes out from the trusted score workers too (never from a queue that runs containers).
CELERY_TASK_ROUTES = {
    "submissions.score": {"queue": "score"},
    "notifications.*": {"queue": "score"},
}
CELERY_TASK_IGNORE_RESULT = True
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# `celery beat` (or a worker started with -B) runs the sweeper periodically.
CELERY_BEAT_SCHEDULE = {
    "sweep-stale-submissions": {
        "task": "submissions.sweep",
        "schedule": float(FORGERYBENCH_SWEEP_INTERVAL_SECONDS),
        "options": {"queue": "score", "expires": float(FORGERYBENCH_SWEEP_INTERVAL_SECONDS)},
    },
    # Mails whose send message was lost; the daily digest at FORGERYBENCH_DIGEST_HOUR (UTC).
    "flush-notifications": {
        "task": "notifications.flush",
        "schedule": 300.0,
        "options": {"queue": "score", "expires": 300.0},
    },
    "notification-digests": {
        "task": "notifications.digest",
        "schedule": crontab(hour=str(FORGERYBENCH_DIGEST_HOUR), minute="0"),
        "options": {"queue": "score", "expires": 3600.0},
    },
}
# Worker lines carry the submission being worked on (lib.logs sets it on every record).
CELERY_WORKER_LOG_FORMAT = (
    "[%(asctime)s: %(levelname)s/%(processName)s] submission=%(submission_id)s %(message)s"
)
CELERY_WORKER_TASK_LOG_FORMAT = CELERY_WORKER_LOG_FORMAT

LOG_FORMAT = env_str("LOG_FORMAT", "plain")
if LOG_FORMAT not in ("plain", "json"):
    raise ConfigError(f"LOG_FORMAT={LOG_FORMAT!r} is not one of: plain, json")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # Every line names the submission being worked on (lib.logs), "-" when there is none.
    "formatters": {
        "plain": {
            "()": "lib.logs.ContextFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s submission=%(submission_id)s %(message)s",
        },
        "json": {"()": "lib.logs.JsonFormatter"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
}

# One bootstrap seed for every result of a split, so paired comparisons share resamples.
FORGERYBENCH_BOOTSTRAP_SEED = env_int("FORGERYBENCH_BOOTSTRAP_SEED", 20261127, minimum=0)

# REST API (platform/api): hashed bearer tokens, JSON errors {"code", "message"}, OpenAPI schema.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "api.authentication.HashedTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "api.errors.exception_handler",
    # `?format=csv` belongs to the export endpoints, not to renderer selection.
    "URL_FORMAT_OVERRIDE": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "ForgeryBench API",
    "DESCRIPTION": "Benchmarks, leaderboards, resumable image uploads and submissions.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": "/api/v1",
}
