#!/usr/bin/env bash
# Start the services the platform and its tests need, installing them first where missing.
# Usage: ensure-services.sh docker|postgres|redis|chromium|compose ...
# Installs need root on Debian (apt-get); elsewhere the script says exactly what is missing.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
LOG_DIR="${FORGERYBENCH_LOG_DIR:-$ROOT/var/log}"
mkdir -p "$LOG_DIR"
PG_USER="${FORGERYBENCH_PG_USER:-forgerybench}"
PG_PASSWORD="${FORGERYBENCH_PG_PASSWORD:-forgerybench}"
PG_DB="${FORGERYBENCH_PG_DB:-forgerybench}"
# The application's less-privileged role (ops.dbroles): the owner above runs migrations and
# grants it row rights; the tests' worker processes connect as it.
PG_APP_USER="${FORGERYBENCH_PG_APP_USER:-forgerybench_app}"
PG_APP_PASSWORD="${FORGERYBENCH_PG_APP_PASSWORD:-forgerybench_app}"

say() { echo "[services] $*" >&2; }

apt_install() {
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
    say "missing: $* (install it, e.g. 'apt-get install $*' as root on Debian)"; exit 1
  fi
  say "installing $*"
  if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >"$LOG_DIR/apt.log" 2>&1; then
    apt-get update -qq >>"$LOG_DIR/apt.log" 2>&1
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >>"$LOG_DIR/apt.log" 2>&1 \
      || { say "apt-get install $* failed; see $LOG_DIR/apt.log"; exit 1; }
  fi
}

wait_for() {  # wait_for SECONDS DESCRIPTION COMMAND...
  local seconds=$1 what=$2; shift 2
  for _ in $(seq "$seconds"); do "$@" >/dev/null 2>&1 && return 0; sleep 1; done
  say "$what did not come up in ${seconds}s"; return 1
}

ensure_docker() {
  docker info >/dev/null 2>&1 && return 0
  command -v dockerd >/dev/null || apt_install docker.io
  if [ "$(id -u)" != 0 ]; then say "no Docker engine answers and starting dockerd needs root"; exit 1; fi
  say "starting dockerd (log: $LOG_DIR/dockerd.log)"
  setsid nohup dockerd >"$LOG_DIR/dockerd.log" 2>&1 < /dev/null &
  wait_for 60 "dockerd" docker info || { tail -20 "$LOG_DIR/dockerd.log" >&2; exit 1; }
}

ensure_postgres() {
  if ! pg_isready -q -h 127.0.0.1 2>/dev/null; then
    command -v pg_ctlcluster >/dev/null && ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 \
      || apt_install postgresql
    local version
    version=$(ls /usr/lib/postgresql | sort -n | tail -1)
    [ -d "/etc/postgresql/$version/main" ] || pg_createcluster "$version" main >/dev/null
    say "starting PostgreSQL $version"
    pg_ctlcluster --skip-systemctl-redirect "$version" main start
    wait_for 30 "PostgreSQL" pg_isready -h 127.0.0.1
  fi
  su postgres -c "psql -tAc \"SELECT 1 FROM pg_roles WHERE rolname='$PG_USER'\"" | grep -q 1 \
    || su postgres -c "psql -q -c \"CREATE ROLE $PG_USER LOGIN CREATEDB PASSWORD '$PG_PASSWORD'\""
  su postgres -c "psql -tAc \"SELECT 1 FROM pg_database WHERE datname='$PG_DB'\"" | grep -q 1 \
    || su postgres -c "createdb -O $PG_USER $PG_DB"
  su postgres -c "psql -tAc \"SELECT 1 FROM pg_roles WHERE rolname='$PG_APP_USER'\"" | grep -q 1 \
    || su postgres -c "psql -q -c \"CREATE ROLE $PG_APP_USER LOGIN PASSWORD '$PG_APP_PASSWORD'\""
}

ensure_redis() {
  redis-cli -h 127.0.0.1 ping 2>/dev/null | grep -q PONG && return 0
  command -v redis-server >/dev/null || apt_install redis-server
  say "starting Redis"
  redis-server --daemonize yes --bind 127.0.0.1 --save '' --appendonly no \
    --logfile "$LOG_DIR/redis.log"
  wait_for 20 "Redis" redis-cli -h 127.0.0.1 ping
}

ensure_compose() {
  # Compose v2 (`docker compose`) where the engine has it; else Debian's docker-compose package
  # (v2 from trixie on, 1.29 on bookworm: both read the Compose specification).
  docker compose version >/dev/null 2>&1 && return 0
  command -v docker-compose >/dev/null || apt_install docker-compose
  docker-compose version >/dev/null
}

ensure_wrk() {
  command -v wrk >/dev/null || apt_install wrk
}

ensure_chromium() {
  command -v chromium >/dev/null || apt_install chromium
  # A CJK font, so the browser tests' screenshots of the 简体中文 pages show their text.
  fc-list 2>/dev/null | grep -qi "WenQuanYi Micro Hei" || apt_install fonts-wqy-microhei
}

for service in "$@"; do
  "ensure_$service"
done
