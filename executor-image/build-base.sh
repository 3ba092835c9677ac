#!/usr/bin/env bash
# Builds the local base image (Debian bookworm with Python 3.11 and fonts) that both the
# sandbox image and the service image start FROM.
#
# With no registry (the usual case here) the root filesystem comes from mmdebstrap and is
# loaded with `docker import`. On a machine that can pull images but lacks mmdebstrap, it
# falls back to debian:bookworm-slim plus apt. Either way the result is tagged $BASE_IMAGE.
set -euo pipefail

BASE_IMAGE=${BASE_IMAGE:-ppb/debian-python:bookworm}
SUITE=bookworm
PACKAGES=python3,python3-venv,fonts-dejavu-core,fontconfig,ca-certificates,tzdata,passwd

if docker image inspect "$BASE_IMAGE" >/dev/null 2>&1; then
  echo "base image $BASE_IMAGE is present"
  exit 0
fi

if ! command -v mmdebstrap >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  apt-get install -y -qq mmdebstrap >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq mmdebstrap; }
fi

if command -v mmdebstrap >/dev/null 2>&1; then
  echo "building $BASE_IMAGE from a mmdebstrap root filesystem"
  # --variant=minbase keeps it small; docs and locales are dropped as in the slim images.
  mmdebstrap --quiet --variant=minbase --include="$PACKAGES" \
    --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/doc/*' \
    --dpkgopt='path-exclude=/usr/share/locale/*' --dpkgopt='path-include=/usr/share/locale/locale.alias' \
    --customize-hook='chroot "$1" apt-get clean' --customize-hook='rm -rf "$1"/var/lib/apt/lists/*' \
    "$SUITE" - | docker import \
      --change 'ENV LANG=C.UTF-8 PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
      --change 'CMD ["/bin/bash"]' - "$BASE_IMAGE"
else
  echo "mmdebstrap unavailable; building $BASE_IMAGE from debian:$SUITE-slim"
  printf 'FROM debian:%s-slim\nRUN apt-get update && apt-get install -y --no-install-recommends %s && rm -rf /var/lib/apt/lists/*\nENV LANG=C.UTF-8\n' \
    "$SUITE" "${PACKAGES//,/ }" | docker build -t "$BASE_IMAGE" -
fi
