"""ForgeryBench settings: one module, every deploy-time value from the environment.

Defaults give the embedded single-machine setup (`make demo`): a SQLite file and Celery's
filesystem broker under FORGERYBENCH_DATA_DIR. Production and the test suite point
DATABASE_URL at PostgreSQL and CELERY_BROKER_URL at Redis.
"""

import secrets
from pathlib import Path

import dj_database_url

from .env import ConfigError, env_bool, env_int, env_list, env_path, env_str

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
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
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
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
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

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "platform" / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
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
FORGERYBENCH_ARTIFACTS_DIR = DATA_DIR / "artifacts"
FORGERYBENCH_RUNS_DIR = DATA_DIR / "runs"

# Container runner (protocol.md §2).
# Names this installation's containers, so several sites (or test runs) can share one engine.
FORGERYBENCH_INSTANCE = env_str("FORGERYBENCH_INSTANCE", "main")
FORGERYBENCH_RUN_USER = env_str("FORGERYBENCH_RUN_USER", "65534:65534")
FORGERYBENCH_PIDS_LIMIT = env_int("FORGERYBENCH_PIDS_LIMIT", 256, minimum=8)
FORGERYBENCH_OUTPUT_CAP_MB = env_int("FORGERYBENCH_OUTPUT_CAP_MB", 1024, minimum=8)
FORGERYBENCH_TMPFS_MB = env_int("FORGERYBENCH_TMPFS_MB", 256, minimum=8)
FORGERYBENCH_LOG_TAIL_BYTES = env_int("FORGERYBENCH_LOG_TAIL_BYTES", 64 * 1024, minimum=1024)
# Without a loop-mounted filesystem /output has no hard size cap; only allow that knowingly.
FORGERYBENCH_ALLOW_UNCAPPED_OUTPUT = env_bool("FORGERYBENCH_ALLOW_UNCAPPED_OUTPUT", False)

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
CELERY_TASK_ALWAYS_EAGER = False
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_DEFAULT_QUEUE = "cpu"
CELERY_TASK_IGNORE_RESULT = True
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
}

# One bootstrap seed for every result of a split, so paired comparisons share resamples.
FORGERYBENCH_BOOTSTRAP_SEED = env_int("FORGERYBENCH_BOOTSTRAP_SEED", 20261127, minimum=0)
