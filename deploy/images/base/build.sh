#!/usr/bin/env bash
# Build the ForgeryBench base image offline: debootstrap a minimal Debian rootfs with Python,
# NumPy and Pillow, then `docker import` it. No container registry is needed, only a Debian
# mirror. The image is tagged forgerybench/base:<key>, where <key> hashes this script and the
# package list, so it is built once per machine and rebuilt only when its inputs change.
# The tag is printed as the last line of stdout; progress goes to stderr.
#
# Environment: DEBIAN_MIRROR (default http://deb.debian.org/debian), DEBIAN_SUITE (bookworm),
#              IMAGE_REPO (forgerybench/base).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
mirror="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
suite="${DEBIAN_SUITE:-bookworm}"
repo="${IMAGE_REPO:-forgerybench/base}"

log() { printf 'base: %s\n' "$*" >&2; }

# The key covers everything that decides the image's content except the mirror's state.
key="$( { cat "$here/build.sh" "$here/packages.txt"; printf '%s\n' "$suite"; } \
        | sha256sum | cut -c1-12)"
tag="$repo:$key"

if docker image inspect "$tag" >/dev/null 2>&1; then
    log "cached: $tag"
    docker tag "$tag" "$repo:latest"
    echo "$tag"
    exit 0
fi

if [[ "$(id -u)" -ne 0 ]]; then
    log "debootstrap needs root (image $tag is not built yet)"
    exit 1
fi
if ! command -v debootstrap >/dev/null 2>&1; then
    log "installing debootstrap"
    apt-get install -y debootstrap >&2 || { apt-get update >&2 && apt-get install -y debootstrap >&2; }
fi

# Comments and blank lines in packages.txt are ignored.
include="$(grep -Ev '^[[:space:]]*(#|$)' "$here/packages.txt" | paste -sd, -)"

work="$(mktemp -d "${TMPDIR:-/tmp}/forgerybench-base.XXXXXX")"
cleanup() { rm -rf --one-file-system "$work"; }
trap cleanup EXIT
rootfs="$work/rootfs"

start=$SECONDS
log "debootstrap $suite ($include) from $mirror"
debootstrap --variant=minbase --include="$include" "$suite" "$rootfs" "$mirror" >&2

# Nothing in a submission container needs package caches, indexes, docs or man pages.
rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/cache/apt/*.bin \
       "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/log/* \
       "$rootfs"/usr/share/doc/* "$rootfs"/usr/share/man/* "$rootfs"/usr/share/info/*
find "$rootfs" -name '__pycache__' -type d -prune -exec rm -rf {} +

# Containers run as 65534:65534 on a read-only root; minbase ships that user as 'nobody'.
grep -q '^nobody:x:65534:65534:' "$rootfs/etc/passwd" || {
    log "rootfs has no nobody (65534) user"
    exit 1
}

log "importing $tag"
tar --numeric-owner -C "$rootfs" -c . | docker import \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'ENV LANG=C.UTF-8' \
    --change 'ENV PYTHONDONTWRITEBYTECODE=1' \
    --change 'ENV PYTHONUNBUFFERED=1' \
    --change 'WORKDIR /' \
    --change 'CMD ["python3"]' \
    --message "forgerybench base ($suite minbase: $include)" \
    - "$tag" >&2
docker tag "$tag" "$repo:latest"

size="$(docker image inspect --format '{{.Size}}' "$tag")"
log "built $tag in $((SECONDS - start)) s, $((size / 1000000)) MB"
echo "$tag"
