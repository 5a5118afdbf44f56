#!/usr/bin/env bash
# Write the secrets deploy/compose.yaml reads, once: random values, files readable by the
# owner only, but for the Redis servers' ACL files (redis_acl, cache_acl: password hashes only),
# readable by all: compose mounts a file secret with the host file's owner and mode, and the
# redis image runs the server as its own user (uid 999), not root. An existing file is never
# overwritten (rotating a secret is a deliberate act).
# Usage: make-secrets.sh [DIR]   (default deploy/secrets)
set -euo pipefail
dir="${1:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/secrets}"
umask 077
mkdir -p "$dir"
random() { head -c 48 /dev/urandom | base64 | tr -d '/+=\n' | cut -c1-"$1"; }
# The SHA-256 (hex) of a password file's content, the form ACL files hold passwords in.
sha256() { tr -d '\n' < "$1" | sha256sum | cut -d' ' -f1; }
redis_rules="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/redis"
# An ACL file made readable by the redis server's user, once it holds no password in clear
# (a `>password` rule, possible in a line added by hand): such a file stays the owner's.
acl_readable() {
    if grep -Eq '(^|[[:space:]])>' "$1"; then
        echo "make-secrets.sh: $1 holds a password in clear (a '>' rule); left readable by its" \
            "owner only, so the redis image's user cannot read it: store it as #<sha256>." >&2
    else
        chmod 0644 "$1"
    fi
}
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
# The broker's (service `redis`) ACL file, redis_acl: the default user may only PING (the
# health check), never read or write a key; the platform's user (broker_url: web, the score
# worker, beat, migrate; the rules of deploy/redis/platform-acl.rules) has every right; the run
# agents' user (agent_broker_url; deploy/redis/agent-acl.rules) reaches the run queues only.
# Passwords are stored as their SHA-256. The agents also hold their credential for the agent
# API (agent_token, registered by the migrate step), and nothing else of the platform's.
[ -f "$dir/agent_token" ] || printf 'fba_%s\n' "$(random 48)" > "$dir/agent_token"
[ -f "$dir/agent_broker_password" ] || random 32 > "$dir/agent_broker_password"
[ -f "$dir/broker_password" ] || random 32 > "$dir/broker_password"
rules="$(cat "$redis_rules/agent-acl.rules")"
platform_rules="$(cat "$redis_rules/platform-acl.rules")"
if [ -f "$dir/redis_acl" ] && ! grep -q '^user default ' "$dir/redis_acl"; then
    # Written before the default user was closed: it leaves the broker open to anyone who
    # reaches it. Nothing is changed here (the file may hold users added by hand).
    echo "make-secrets.sh: $dir/redis_acl defines no default user, so the broker's default user" \
        "is open (no password, every right). Move it aside and run make-secrets.sh again: it" \
        "writes a new one from the passwords kept here (agent_broker_password, broker_password);" \
        "add again any user you added by hand, with its password as #<sha256>." >&2
    exit 1
fi
[ -f "$dir/redis_acl" ] ||
    printf 'user default on nopass resetkeys resetchannels -@all +ping\nuser forgerybench-platform %s #%s\nuser forgerybench-agent %s #%s\n' \
        "$platform_rules" "$(sha256 "$dir/broker_password")" \
        "$rules" "$(sha256 "$dir/agent_broker_password")" \
        > "$dir/redis_acl"
acl_readable "$dir/redis_acl"
[ -f "$dir/broker_url" ] ||
    printf 'redis://forgerybench-platform:%s@redis:6379/0\n' "$(cat "$dir/broker_password")" \
        > "$dir/broker_url"
[ -f "$dir/agent_broker_url" ] ||
    printf 'redis://forgerybench-agent:%s@redis:6379/0\n' "$(cat "$dir/agent_broker_password")" \
        > "$dir/agent_broker_url"
# The cache server's (Redis of its own, deploy/compose.yaml `cache`): one user for web and the
# workers (cache_url), defined with the rules of deploy/redis/cache-acl.rules and its password's
# SHA-256 (cache_acl); an unauthenticated connection may only PING (the health check). The run
# agents get neither file.
[ -f "$dir/cache_password" ] || random 32 > "$dir/cache_password"
cache_rules="$(cat "$redis_rules/cache-acl.rules")"
[ -f "$dir/cache_acl" ] ||
    printf 'user default on nopass resetkeys resetchannels -@all +ping\nuser forgerybench-cache %s #%s\n' \
        "$cache_rules" "$(sha256 "$dir/cache_password")" \
        > "$dir/cache_acl"
acl_readable "$dir/cache_acl"
[ -f "$dir/cache_url" ] ||
    printf 'redis://forgerybench-cache:%s@cache:6379/0\n' "$(cat "$dir/cache_password")" \
        > "$dir/cache_url"
echo "secrets in $dir: $(ls "$dir" | tr '\n' ' ')"
