"""Settings for the leaderboard bench: the site's own, plus a bare view to compare against."""

from forgerybench_site.settings import *  # noqa: F403

ROOT_URLCONF = "perf.bench_urls"
DEBUG = False
