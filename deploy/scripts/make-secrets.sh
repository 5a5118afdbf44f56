#!/usr/bin/env bash
# Write the secrets deploy/compose.yaml reads, once: random values, files readable by the
# owner only. An existing file is never overwritten (rotating a secret is a deliberate act).
# Usage: make-secrets.sh [DIR]   (default deploy/secrets)
set -euo pipefail
dir="${1:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/secrets}"
umask 077
mkdir -p "$dir"
random() { head -c 48 /dev/urandom | base64 | tr -d '/+=\n' | cut -c1-"$1"; }
[ -f "$dir/postgres_password" ] || random 32 > "$dir/postgres_password"
[ -f "$dir/database_url" ] ||
    printf 'postgres://forgerybench:%s@postgres:5432/forgerybench\n' "$(cat "$dir/postgres_password")" \
        > "$dir/database_url"
[ -f "$dir/secret_key" ] || random 50 > "$dir/secret_key"
echo "secrets in $dir: $(ls "$dir" | tr '\n' ' ')"
