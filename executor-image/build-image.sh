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
docker build --quiet --label "ppb.inputs=$hash" --build-arg "BASE_IMAGE=${BASE_IMAGE:-ppb/debian-python:bookworm}" \
  -f "$dockerfile" -t "$tag" .
