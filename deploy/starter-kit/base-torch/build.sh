#!/usr/bin/env bash
# Build forgerybench/base-torch offline, exactly like the base image (debootstrap + docker
# import, tagged by a hash of the build script and package list, so built once per machine):
# the base build script runs with this folder's package list. ≈2 min and ≈1.7 GB the first time.
# Prints the tag as the last line of stdout.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
work="$(mktemp -d "${TMPDIR:-/tmp}/forgerybench-base-torch.XXXXXX")"
trap 'rm -rf "$work"' EXIT
cp "$here/../../images/base/build.sh" "$work/build.sh"
cp "$here/packages.txt" "$work/packages.txt"
IMAGE_REPO="${IMAGE_REPO:-forgerybench/base-torch}" "$work/build.sh"
