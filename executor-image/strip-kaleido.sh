#!/usr/bin/env bash
# strip-kaleido.sh WHEELHOUSE OUT
# Writes kaleido's Chromium, from its wheel in WHEELHOUSE, to OUT without its symbol tables
# (a third of its 190 MB; nothing in a sandbox reads them). The sandbox image puts it in
# place of the wheel's copy. Without binutils' strip on the host, the copy is kept whole.
set -euo pipefail
wheelhouse=$1 out=$2
wheel=$(ls "$wheelhouse"/kaleido-*.whl)
mkdir -p "$(dirname "$out")"
python3 - "$wheel" "$out.tmp" <<'PY'
import shutil, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as wheel, wheel.open("kaleido/executable/bin/kaleido") as src:
    with open(sys.argv[2], "wb") as dst:
        shutil.copyfileobj(src, dst)
PY
if command -v strip >/dev/null 2>&1; then
  strip "$out.tmp"
else
  echo "strip (binutils) not found: the sandbox image keeps kaleido's symbols (+53 MB)" >&2
fi
chmod 0755 "$out.tmp"
mv "$out.tmp" "$out"
