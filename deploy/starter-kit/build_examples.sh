#!/usr/bin/env bash
# Build the starter kit's example submissions offline, FROM the offline base images.
# Each is tagged forgerybench/example-<name>:<key> (<key> hashes its base image id, the kit and
# the example's files) plus :latest; a tag that exists is not rebuilt. Prints the tags.
#
# Environment: EXAMPLES (default "numpy-detector"; add "torch-detector" to build the torch
# base, ≈2 min and ≈1.7 GB the first time).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
log() { printf 'examples: %s\n' "$*" >&2; }

for name in ${EXAMPLES:-numpy-detector}; do
    case "$name" in
        torch-detector) base="$("$here/base-torch/build.sh" | tail -n 1)" ;;
        *) base="$("$here/../images/base/build.sh" | tail -n 1)" ;;
    esac
    key="$( {
        docker image inspect --format '{{.Id}}' "$base"
        cd "$here"
        find forgerybench_starter "examples/$name" -type f ! -path '*/__pycache__/*' -print0 \
            | LC_ALL=C sort -z | xargs -0 sha256sum
    } | sha256sum | cut -c1-12)"
    repo="forgerybench/example-$name"
    if docker image inspect "$repo:$key" >/dev/null 2>&1; then
        log "cached: $repo:$key"
        docker tag "$repo:$key" "$repo:latest"
    else
        log "building $repo:$key from $base"
        docker build --pull=false --build-arg "BASE_IMAGE=$base" -t "$repo:$key" -t "$repo:latest" \
            -f "$here/examples/$name/Dockerfile" "$here" >&2
    fi
    echo "$repo:$key"
done
