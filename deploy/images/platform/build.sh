#!/usr/bin/env bash
# Build the ForgeryBench platform image (web, workers, beat) without a registry or network
# access inside `docker build`:
#   1. the base: BASE_IMAGE if given, else the project's debootstrapped base built for Debian
#      trixie (Django 6 needs Python >= 3.12; bookworm ships 3.11) by ../base/build.sh;
#   2. a wheelhouse on this host: `pip download` of the pinned runtime requirements for the
#      base image's Python version (binary wheels only), cached under var/build/;
#   3. `docker build` from a staged context (Dockerfile, wheelhouse, the app's tracked files).
# Prints the image tag as the last line of stdout; progress goes to stderr.
#
# Environment: BASE_IMAGE, IMAGE_REPO (forgerybench/platform), PIP (the host's pip).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
repo="${IMAGE_REPO:-forgerybench/platform}"
pip="${PIP:-$root/.venv/bin/pip}"
log() { printf 'platform: %s\n' "$*" >&2; }

base="${BASE_IMAGE:-}"
if [[ -z "$base" ]]; then
    base="$(DEBIAN_SUITE=trixie IMAGE_REPO=forgerybench/base-trixie "$root/deploy/images/base/build.sh" | tail -n 1)"
fi
pyver="$(docker run --rm --network none "$base" python3 -c 'import sys; print("%d.%d" % sys.version_info[:2])')"
log "base $base has Python $pyver"

# Runtime requirements: the project's pinned dependencies; their own dependencies are held
# to the versions in the lock file.
build="$root/var/build/platform"
wheelhouse="$root/var/build/wheelhouse-py$pyver"
mkdir -p "$wheelhouse/wheels"
"$root/.venv/bin/python" - "$root/pyproject.toml" > "$wheelhouse/requirements.txt" <<'PY'
import sys, tomllib
print("\n".join(tomllib.load(open(sys.argv[1], "rb"))["project"]["dependencies"]))
PY
grep -vE '^(pip|setuptools|wheel)==' "$root/requirements/lock.txt" > "$wheelhouse/constraints.txt"
platforms=(--platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64
           --platform manylinux_2_28_x86_64 --platform manylinux_2_34_x86_64
           --platform linux_x86_64 --platform any)
log "wheelhouse for Python $pyver: $wheelhouse"
"$pip" download -q --dest "$wheelhouse/wheels" --only-binary=:all: --python-version "$pyver" \
    --implementation cp "${platforms[@]}" \
    -r "$wheelhouse/requirements.txt" -c "$wheelhouse/constraints.txt" >&2
pip_version="$("$pip" --version | awk '{print $2}')"
"$pip" download -q --dest "$wheelhouse" --no-deps --only-binary=:all: "pip==$pip_version" >&2
cp "$wheelhouse/pip-$pip_version-py3-none-any.whl" "$wheelhouse/pip.whl"

# Debian packages the base lacks (trixie's minbase has no mkfs.ext4): fetched on this host
# with apt from the base image's suite, installed with dpkg inside the build.
suite="$(docker run --rm --network none "$base" sh -c '. /etc/os-release; echo "$VERSION_CODENAME"')"
debs="$root/var/build/debs-$suite"
if ! docker run --rm --network none "$base" sh -c 'command -v mkfs.ext4' >/dev/null; then
    mkdir -p "$debs/lists/partial"
    echo "deb ${DEBIAN_MIRROR:-http://deb.debian.org/debian} $suite main" > "$debs/sources.list"
    apt_opts=(-o "Dir::Etc::SourceList=$debs/sources.list" -o Dir::Etc::SourceParts=/dev/null
              -o "Dir::State::Lists=$debs/lists" -o "Dir::Cache::Archives=$debs")
    ls "$debs"/e2fsprogs_*.deb >/dev/null 2>&1 || {
        log "fetching e2fsprogs for $suite"
        apt-get "${apt_opts[@]}" update -qq >&2
        (cd "$debs" && apt-get "${apt_opts[@]}" download -qq e2fsprogs libext2fs2t64 libss2 \
            logsave libcom-err2 >&2)
    }
fi

# The build context: only what the image needs (never var/, .venv/ or secrets).
rm -rf "$build" && mkdir -p "$build/app" "$build/wheelhouse" "$build/debs"
cp "$debs"/*.deb "$build/debs/" 2>/dev/null || true
cp "$here/Dockerfile" "$build/Dockerfile"
cp -r "$wheelhouse/wheels" "$wheelhouse/requirements.txt" "$wheelhouse/pip.whl" "$build/wheelhouse/"
(cd "$root" && git ls-files -co --exclude-standard -- manage.py pyproject.toml platform evaluator \
    submissions benchmarks | grep -v '/__pycache__/' | tar -cf - -T -) | tar -xf - -C "$build/app"

key="$( { echo "$base"; cat "$build/Dockerfile" "$build/wheelhouse/requirements.txt";
          (cd "$build" && find app -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum);
          ls "$build/wheelhouse/wheels" "$build/debs"; } | sha256sum | cut -c1-12)"
tag="$repo:$key"
if docker image inspect "$tag" >/dev/null 2>&1; then
    log "cached: $tag"
else
    start=$SECONDS
    log "building $tag FROM $base"
    docker build --pull=false --build-arg "BASE_IMAGE=$base" -t "$tag" "$build" >&2
    log "built $tag in $((SECONDS - start)) s"
fi
docker tag "$tag" "$repo:latest"
echo "$tag"
