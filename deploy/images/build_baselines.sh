#!/usr/bin/env bash
# Build the baseline submission images offline, FROM the base image their Dockerfile names:
# forgerybench/base (base/build.sh) by default, forgerybench/base-torch
# (starter-kit/base-torch/build.sh, built once per machine) when the Dockerfile's
# `ARG BASE_IMAGE=` default says so. The build context is assembled in a temporary folder: the
# files of baselines/<name>/, plus the starter kit (forgerybench_starter/) and each
# baselines/_lib/ module when the Dockerfile names them, so baselines share code without
# copies in the tree. Each image is tagged forgerybench/baseline-<name>:<key>, <key> hashing
# the base image's key and the assembled context, plus :latest; an image whose tag exists is
# not rebuilt. Prints the final tags on stdout, one a line (base first); progress goes to
# stderr.
#
# Environment: BASELINES (default: the sanity baseline of every task and the classic methods).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
log() { printf 'baselines: %s\n' "$*" >&2; }

base_tag="$("$here/base/build.sh" | tail -n 1)"
echo "$base_tag"

kit="$here/../starter-kit/forgerybench_starter"
torch_tag=""

assemble() {
    # Copy the image's own files and the shared code its Dockerfile names into $2.
    local dir="$1" context="$2" module
    cp -R "$dir/." "$context/"
    if grep -q 'forgerybench_starter' "$dir/Dockerfile"; then
        cp -R "$kit" "$context/forgerybench_starter"
    fi
    for module in "$here"/baselines/_lib/*.py; do
        if grep -q "$(basename "$module")" "$dir/Dockerfile"; then cp "$module" "$context/"; fi
    done
    find "$context" -name '__pycache__' -type d -prune -exec rm -rf {} +
    find "$context" -name '*.pyc' -delete
}

context_key() {
    # Names and contents of the build context, in a fixed order.
    (
        cd "$2"
        printf '%s\n' "$1"
        find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum
    ) | sha256sum | cut -c1-12
}

work="$(mktemp -d "${TMPDIR:-/tmp}/forgerybench-baselines.XXXXXX")"
trap 'rm -rf "$work"' EXIT

for name in ${BASELINES:-sanity sanity-localization sanity-retrieval sanity-video-localization highfreq ela noi freqspec cnn gem-retrieval}; do
    dir="$here/baselines/$name"
    [[ -f "$dir/Dockerfile" ]] || { log "no Dockerfile in $dir"; exit 1; }
    from="$base_tag"
    if grep -q '^ARG BASE_IMAGE=forgerybench/base-torch' "$dir/Dockerfile"; then
        [[ -n "$torch_tag" ]] || torch_tag="$("$here/../starter-kit/base-torch/build.sh" | tail -n 1)"
        from="$torch_tag"
    fi
    context="$work/$name"
    mkdir "$context"
    assemble "$dir" "$context"
    repo="forgerybench/baseline-$name"
    tag="$repo:$(context_key "${from##*:}" "$context")"
    if docker image inspect "$tag" >/dev/null 2>&1; then
        log "cached: $tag"
        docker tag "$tag" "$repo:latest"
    else
        log "building $tag from $from"
        start=$SECONDS
        docker build --pull=false --build-arg "BASE_IMAGE=$from" \
            -t "$tag" -t "$repo:latest" "$context" >&2
        log "built $tag in $((SECONDS - start)) s"
    fi
    echo "$tag"
done
