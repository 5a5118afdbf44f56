#!/usr/bin/env bash
# Build the baseline submission images offline, FROM the base image that base/build.sh makes.
# Each image is tagged forgerybench/baseline-<name>:<key>, <key> hashing the base image's key and
# the files in baselines/<name>/, plus :latest; an image whose tag exists is not rebuilt.
# Prints the final tags on stdout, one a line (base first); progress goes to stderr.
#
# Environment: BASELINES (default: the sanity baseline of every task, and highfreq).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
log() { printf 'baselines: %s\n' "$*" >&2; }

base_tag="$("$here/base/build.sh" | tail -n 1)"
base_key="${base_tag##*:}"
echo "$base_tag"

folder_key() {
    # Names and contents of the build context, in a fixed order; bytecode caches are not inputs.
    (
        cd "$1"
        printf '%s\n' "$base_key"
        find . -type f ! -path '*/__pycache__/*' ! -name '*.pyc' -print0 \
            | LC_ALL=C sort -z | xargs -0 sha256sum
    ) | sha256sum | cut -c1-12
}

for name in ${BASELINES:-sanity sanity-localization sanity-retrieval sanity-video-localization highfreq}; do
    dir="$here/baselines/$name"
    [[ -f "$dir/Dockerfile" ]] || { log "no Dockerfile in $dir"; exit 1; }
    repo="forgerybench/baseline-$name"
    tag="$repo:$(folder_key "$dir")"
    if docker image inspect "$tag" >/dev/null 2>&1; then
        log "cached: $tag"
        docker tag "$tag" "$repo:latest"
    else
        log "building $tag from $base_tag"
        start=$SECONDS
        docker build --pull=false --build-arg "BASE_IMAGE=$base_tag" \
            -t "$tag" -t "$repo:latest" "$dir" >&2
        log "built $tag in $((SECONDS - start)) s"
    fi
    echo "$tag"
done
