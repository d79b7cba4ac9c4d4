#!/usr/bin/env bash
# Build the offline sandbox base image papercoder-base:bookworm from Debian's packages with
# debootstrap (no container registry needed), then `docker import` it. Needs root and about 50 s.
set -euo pipefail
tag=${1:-papercoder-base:bookworm}
suite=${SUITE:-bookworm}
command -v debootstrap >/dev/null || { echo "debootstrap is missing: apt-get install -y debootstrap" >&2; exit 1; }
root=$(mktemp -d /tmp/papercoder-base.XXXXXX)
trap 'rm -rf "$root"' EXIT
echo "base image: debootstrap $suite into $root"
debootstrap --variant=minbase --include=python3,python3-venv,python3-pip "$suite" "$root" \
  >"$root.log" 2>&1 || { echo "debootstrap failed; see $root.log" >&2; exit 1; }
rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
tar -C "$root" -c . | docker import - "$tag" >/dev/null
echo "base image: $tag ready"
