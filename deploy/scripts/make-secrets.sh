#!/usr/bin/env bash
# Write the secrets deploy/compose.yaml reads, once: random values, files readable by the
# owner only. An existing file is never overwritten (rotating a secret is a deliberate act).
# Usage: make-secrets.sh [DIR]   (default deploy/secrets)
set -euo pipefail
dir="${1:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/secrets}"
umask 077
mkdir -p "$dir"
random() { head -c 48 /dev/urandom | base64 | tr -d '/+=\n' | cut -c1-"$1"; }
# The owner role (postgres_password, database_owner_url) runs migrations only; every other
# process connects as the application role (app_db_password, database_url), which cannot
# switch off or empty the audit log (platform/ops/dbroles.py).
[ -f "$dir/postgres_password" ] || random 32 > "$dir/postgres_password"
[ -f "$dir/app_db_password" ] || random 32 > "$dir/app_db_password"
[ -f "$dir/database_owner_url" ] ||
    printf 'postgres://forgerybench:%s@postgres:5432/forgerybench\n' "$(cat "$dir/postgres_password")" \
        > "$dir/database_owner_url"
[ -f "$dir/database_url" ] ||
    printf 'postgres://forgerybench_app:%s@postgres:5432/forgerybench\n' "$(cat "$dir/app_db_password")" \
        > "$dir/database_url"
[ -f "$dir/secret_key" ] || random 50 > "$dir/secret_key"
# The run agents' secrets: their credential for the agent API (registered by the migrate step)
# and a broker account limited to the run queues (a Redis ACL user; the rules are in
# deploy/redis/agent-acl.rules). They hold nothing else of the platform's.
[ -f "$dir/agent_token" ] || printf 'fba_%s\n' "$(random 48)" > "$dir/agent_token"
[ -f "$dir/agent_broker_password" ] || random 32 > "$dir/agent_broker_password"
rules="$(cat "$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/redis/agent-acl.rules")"
[ -f "$dir/redis_acl" ] ||
    printf 'user forgerybench-agent %s >%s\n' "$rules" "$(cat "$dir/agent_broker_password")" \
        > "$dir/redis_acl"
[ -f "$dir/agent_broker_url" ] ||
    printf 'redis://forgerybench-agent:%s@redis:6379/0\n' "$(cat "$dir/agent_broker_password")" \
        > "$dir/agent_broker_url"
# The cache server's (Redis of its own, deploy/compose.yaml `cache`): one user for web and the
# workers (cache_url), defined with the rules of deploy/redis/cache-acl.rules and its password's
# SHA-256 (cache_acl); an unauthenticated connection may only PING (the health check). The run
# agents get neither file.
[ -f "$dir/cache_password" ] || random 32 > "$dir/cache_password"
cache_rules="$(cat "$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/redis/cache-acl.rules")"
[ -f "$dir/cache_acl" ] ||
    printf 'user default on nopass resetkeys resetchannels -@all +ping\nuser forgerybench-cache %s #%s\n' \
        "$cache_rules" "$(tr -d '\n' < "$dir/cache_password" | sha256sum | cut -d' ' -f1)" \
        > "$dir/cache_acl"
[ -f "$dir/cache_url" ] ||
    printf 'redis://forgerybench-cache:%s@cache:6379/0\n' "$(cat "$dir/cache_password")" \
        > "$dir/cache_url"
echo "secrets in $dir: $(ls "$dir" | tr '\n' ' ')"
