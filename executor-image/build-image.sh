#!/usr/bin/env bash
# build-image.sh TAG DOCKERFILE INPUT...
# Builds TAG from DOCKERFILE (context: the repository root) unless an image with that tag
# already carries a label with the same hash of INPUT files, so a second `make` is instant.
set -euo pipefail
tag=$1 dockerfile=$2
shift 2
hash=$( { cat "$dockerfile"; find "$@" -type f -not -path '*/__pycache__/*' | LC_ALL=C sort | xargs sha256sum; } | sha256sum | cut -c1-16)
have=$(docker image inspect "$tag" --format '{{ index .Config.Labels "ppb.inputs" }}' 2>/dev/null || true)
if [ "$have" = "$hash" ]; then
  echo "image $tag is up to date ($hash)"
  exit 0
fi
echo "building image $tag ($hash)"
args=(--build-arg "BASE_IMAGE=${BASE_IMAGE:-ppb/debian-python:bookworm}")
if grep -q '^ARG SANDBOX_IMAGE' "$dockerfile"; then  # an image built FROM the sandbox image
  args+=(--build-arg "SANDBOX_IMAGE=${SANDBOX_IMAGE:-ppb/sandbox:latest}")
fi
docker build --quiet --label "ppb.inputs=$hash" "${args[@]}" -f "$dockerfile" -t "$tag" .
